#!/bin/sh
# Stage command of the deploy tests: stops the running service (pid file), starts version $VERSION.
# Usage: start-service.sh DIR PORT   (DIR holds service.pid and the service's own log)
set -eu
dir=$1
port=$2
pidfile="$dir/service.pid"
if [ -f "$pidfile" ]; then
  old=$(cat "$pidfile")
  kill "$old" 2>/dev/null || true
  i=0
  while kill -0 "$old" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  rm -f "$pidfile"
fi
echo "$VERSION" >> "$dir/stage-runs"
nohup python3 "$(dirname "$0")/service.py" --port "$port" --version "$VERSION" >"$dir/service-$VERSION.log" 2>&1 &
echo $! > "$pidfile"
echo "started service $VERSION on port $port (pid $!), release $RELEASE, previous ${PREVIOUS_VERSION:-none}"
