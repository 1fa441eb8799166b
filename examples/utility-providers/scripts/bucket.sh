#!/bin/sh
# data "external" protocol: the query arrives as a JSON object on stdin ({"app":"orders"});
# the answer is a JSON object of strings on stdout.
query=$(cat)
app=$(printf '%s' "$query" | sed -n 's/.*"app": *"\([^"]*\)".*/\1/p')
if [ -z "$app" ]; then
  echo "bucket.sh: the query has no app" >&2
  exit 1
fi
printf '{"bucket":"%s-artifacts"}\n' "$app"
