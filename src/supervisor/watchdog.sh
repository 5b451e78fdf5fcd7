#!/bin/sh
# berth's watchdog. berth writes "+PGID" when a service's process group starts and "-PGID" when
# it is gone, on a pipe that only berth holds open. When berth dies in any way (SIGKILL too),
# the pipe closes: every group still listed gets SIGTERM, and SIGKILL half a second later.
trap '' INT HUP TERM QUIT
groups=""
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups ${line#+}" ;;
    -*)
      kept=""
      for g in $groups; do [ "$g" = "${line#-}" ] || kept="$kept $g"; done
      groups=$kept
      ;;
  esac
done
[ -z "$groups" ] && exit 0
for g in $groups; do kill -TERM "-$g" 2>/dev/null; done
i=0
while [ "$i" -lt 10 ]; do
  alive=""
  for g in $groups; do kill -0 "-$g" 2>/dev/null && alive="$alive $g"; done
  [ -z "$alive" ] && exit 0
  groups=$alive
  sleep 0.05
  i=$((i + 1))
done
for g in $groups; do kill -KILL "-$g" 2>/dev/null; done
exit 0
