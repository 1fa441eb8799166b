# keyway emulator: runs one Lambda invocation of a Python handler from its deployment package.
# argv: zip path, handler ("module.function"), function name, memory MB, function ARN,
# request ID, timeout seconds. The event is JSON on stdin; the result is written as one JSON
# line `{"result": ...}` or `{"errorMessage", "errorType"}` on the last line of stdout (the
# handler's own prints come before it and are passed on as logs).
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile


class Context:
    def __init__(self, name, memory, arn, request_id, timeout):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = int(memory)
        self.aws_request_id = request_id
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "keyway-emulator"
        self._deadline = time.time() + float(timeout)

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def main():
    zip_path, handler, name, memory, arn, request_id, timeout = sys.argv[1:8]
    event = json.loads(sys.stdin.read() or "null")
    task = tempfile.mkdtemp(prefix="keyway-lambda-")
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(task)
    sys.path.insert(0, task)
    os.chdir(task)
    module_name, _, func_name = handler.rpartition(".")
    try:
        try:
            module = importlib.import_module(module_name.replace("/", "."))
            func = getattr(module, func_name)
            result = func(event, Context(name, memory, arn, request_id, timeout))
            out = {"result": result}
        except Exception as e:  # the handler's failure is the invocation's result
            traceback.print_exc(file=sys.stderr)
            out = {"errorMessage": str(e), "errorType": type(e).__name__}
    finally:
        # The package was unpacked for this one invocation.
        os.chdir("/")
        shutil.rmtree(task, ignore_errors=True)
    try:
        line = json.dumps(out)
    except (TypeError, ValueError) as e:
        line = json.dumps({"errorMessage": f"Unable to marshal response: {e}", "errorType": "Runtime.MarshalError"})
    sys.stdout.write("\n" + line + "\n")
    sys.stdout.flush()


main()
