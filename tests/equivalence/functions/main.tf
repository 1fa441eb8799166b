# Built-in functions with literal arguments, one family per group of outputs. Run by the
# equivalence suite under both Terraform and keyway; outputs must match exactly.
# Non-deterministic functions (timestamp, uuid, bcrypt) are left out on purpose.

locals {
  doc = {
    name  = "api"
    ports = [80, 443]
    tags  = { env = "prod", team = "platform" }
    html  = "<a href=\"x\">&</a>"
  }
}

# numeric
output "numeric" {
  value = [abs(-12.5), ceil(1.2), floor(-1.5), log(16, 2), max(3, 7.5, -1), min(3, 7.5, -1),
  parseint("FF", 16), parseint("-1010", 2), pow(2, 10), signum(-7)]
}

# string
output "format" {
  value = format("%s-%03d|%5.2f|%-4s|%x|%q|%v|%t|%%", "web", 7, 3.14159, "ab", 255, "hi", [1, "a"], true)
}
output "formatlist" {
  value = formatlist("%s=%d", ["a", "b"], [1, 2])
}
output "strings" {
  value = {
    chomp      = chomp("text\n\n")
    ends       = endswith("hello.tf", ".tf")
    indent     = indent(2, "a\nb")
    join       = join(",", ["a", "b"], ["c"])
    lower      = lower("HeLLo")
    upper      = upper("straße")
    replace    = replace("1.2.3", ".", "-")
    replace_re = replace("hello world", "/o(.)/", "0$1")
    split      = split(",", "a,b,,c")
    starts     = startswith("hello", "he")
    contains   = strcontains("hello", "ell")
    strrev     = strrev("héllo")
    substr     = substr("hello world", -5, 3)
    title      = title("hello wORLD-foo")
    trim       = trim("?!hi?!", "!?")
    trimprefix = trimprefix("helloworld", "hello")
    trimsuffix = trimsuffix("helloworld", "world")
    trimspace  = trimspace("  x \n")
  }
}
output "regex" {
  value = [regex("(\\d+)-(\\d+)", "x 10-20 y"), regex("(?P<key>\\w+)=(?P<val>\\w+)", "a=b"), regexall("\\d", "a1b2c3")]
}

# collection
output "collections" {
  value = {
    alltrue      = alltrue([true, "true"])
    anytrue      = anytrue([false])
    chunklist    = chunklist([1, 2, 3, 4, 5], 2)
    coalesce     = coalesce("", "b", "c")
    coalescelist = coalescelist([], ["x"])
    compact      = compact(["a", "", "b"])
    concat       = concat([1, 2], [3])
    contains     = contains(["a", "b"], "b")
    distinct     = distinct([1, 2, 1, 3])
    element      = element(["a", "b", "c"], 4)
    flatten      = flatten([[1, [2]], [], [3]])
    index        = index(["a", "b"], "b")
    keys         = keys(local.doc.tags)
    length       = length("héllo")
    lookup       = lookup(local.doc.tags, "missing", "dflt")
    matchkeys    = matchkeys(["a", "b", "c"], [1, 2, 3], [3, 1])
    merge        = merge({ a = 1, b = 2 }, { b = 3 })
    one          = one(["only"])
    range        = range(1, 10, 3)
    reverse      = reverse([1, 2, 3])
    slice        = slice(["a", "b", "c", "d"], 1, 3)
    sort         = sort(["b", "a", "10"])
    sum          = sum([1, 2.5, 3])
    transpose    = transpose({ a = ["1", "2"], b = ["2"] })
    values       = values(local.doc.tags)
    zipmap       = zipmap(["x", "y"], [1, 2])
  }
}
output "sets" {
  value = {
    intersection = setintersection(["a", "b", "c"], ["b", "c", "d"])
    product      = setproduct(["a", "b"], ["1", "2"])
    subtract     = setsubtract(["a", "b", "c"], ["b"])
    union        = setunion(["b"], ["a", "c"])
  }
}

# encoding
output "jsonencode" {
  value = jsonencode(local.doc)
}
output "yamlencode" {
  value = yamlencode(merge(local.doc, { multi = "line one\nline two\n", empty = [], nested = [{ a = 1 }, [2, 3]] }))
}
output "decoded" {
  value = {
    json   = jsondecode("{\"a\":[1,2.5,\"x\",null,true]}")
    yaml   = yamldecode("a: 1\nb: [x, 2, true]\nc: {d: e}\n")
    csv    = csvdecode("name,port\nweb,80\napi,\"8,080\"\n")
    base64 = base64decode("aGVsbG8gd29ybGQ=")
    text16 = textdecodebase64("aADpAA==", "UTF-16LE")
  }
}
output "encoded" {
  value = [base64encode("héllo"), base64gzip("hello"), textencodebase64("hé", "UTF-16LE"), urlencode("a b&c/d?é")]
}

# filesystem
output "files" {
  value = {
    file     = file("${path.module}/files/hello.txt")
    b64      = filebase64("${path.module}/files/hello.txt")
    exists   = fileexists("${path.module}/files/hello.txt")
    missing  = fileexists("${path.module}/files/nope.txt")
    fileset  = fileset("${path.module}/files", "*.{txt,tftpl}")
    basename = basename("a/b/c.txt")
    dirname  = dirname("a/b/c.txt")
    template = templatefile("${path.module}/files/greeting.tftpl", { name = "keyway", items = ["x", "y"] })
  }
}

# date and time
output "time" {
  value = [
    formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01-08:00"),
    formatdate("EEEE, MMMM D, YYYY h:mm aa", "2024-03-05T15:04:05Z"),
    timeadd("2024-03-05T17:08:09Z", "1h30m"),
    timecmp("2024-03-05T17:08:09+01:00", "2024-03-05T16:08:09Z"),
  ]
}

# hashing
output "hashes" {
  value = {
    md5          = md5("hello")
    sha1         = sha1("hello")
    sha256       = sha256("hello")
    sha512       = sha512("hello")
    base64sha256 = base64sha256("hello")
    base64sha512 = base64sha512("hello")
    filesha256   = filesha256("${path.module}/files/hello.txt")
    filemd5      = filemd5("${path.module}/files/hello.txt")
    uuidv5       = uuidv5("dns", "example.com")
  }
}

# ip network
output "network" {
  value = {
    host    = cidrhost("10.0.0.0/24", 5)
    host6   = cidrhost("fd00::/64", 257)
    netmask = cidrnetmask("10.0.0.0/12")
    subnet  = cidrsubnet("10.0.0.0/16", 8, 2)
    subnet6 = cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)
    subnets = cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)
  }
}

# type conversion and sensitivity
output "conversion" {
  value = {
    tobool   = tobool("true")
    tolist   = tolist(["a", 1])
    tomap    = tomap({ a = 1, b = "x" })
    tonumber = tonumber("42")
    toset    = toset(["b", "a", "b"])
    tostring = tostring(1.5)
    unmarked = nonsensitive(sensitive("visible"))
  }
}
output "secret" {
  value     = sensitive(upper("hidden"))
  sensitive = true
}
