#!/bin/sh
# berth's watchdog. berth writes "+PGID MARKER SIGNAL TIMEOUT_MS" when a run of a service starts
# and "-PGID" when that run is gone, on a pipe that only berth holds open. When berth dies in any
# way (SIGKILL too) the pipe closes, and every run still listed is stopped as berth would: its
# own stop signal to its process group and to every process carrying BERTH_RUN=MARKER (those that
# left the group or the session), then SIGKILL once its stop timeout (at most 10 s) has passed.
# $1 says how to find marked processes: procfs | ps-e (procps) | ps-E (BSD, macOS). It lives in the
# platform layer because it reads the process table itself; supervisor/watchdog.ts starts it.
trap '' INT HUP TERM QUIT
mode=${1:-procfs}
nl='
'
# $groups lists the runs; a run that is gone is only marked (gone_PGID) and dropped from the
# list every 64 of them, so a stack of n services stopping costs O(n), not O(n^2), while berth
# is stopping it too. A group listed again (its pgid reused) is listed once.
groups=""
gone=0
# Drops the runs marked gone from $groups.
prune() {
  kept=""
  for g in $groups; do
    eval "d=\${gone_$g-}"
    if [ -n "$d" ]; then unset "listed_$g" "gone_$g"; else kept="$kept $g"; fi
  done
  groups=$kept
  gone=0
}
while IFS=' ' read -r head marker signal timeout; do
  case "$head" in
    +*[!0-9]* | -*[!0-9]* | + | -) continue ;;
    +*)
      g=${head#+}
      case "$marker$signal$timeout" in *[!0-9a-zA-Z]*) continue ;; esac
      [ "$timeout" -gt 10000 ] && timeout=10000
      eval "listed=\${listed_$g-}"
      [ -n "$listed" ] || groups="$groups $g"
      eval "mark_$g=$marker sig_$g=${signal#SIG} wait_$g=$timeout sent_$g=' ' listed_$g=1"
      unset "gone_$g"
      ;;
    -*)
      g=${head#-}
      eval "listed=\${listed_$g-}"
      [ -n "$listed" ] || continue
      eval "gone_$g=1"
      gone=$((gone + 1))
      [ "$gone" -lt 64 ] || prune
      ;;
  esac
done
prune
[ -z "$groups" ] && exit 0

# Milliseconds on a clock that only moves forward: /proc/uptime where there is one (no process
# spawned), else date(1) to the second. The wall clock counts, not loop turns: a busy machine
# makes each turn longer.
now() {
  if [ -r /proc/uptime ]; then
    read -r up _ < /proc/uptime
    cs=${up#*.}
    cs=${cs#0}
    echo $((${up%.*} * 1000 + ${cs:-0} * 10))
  else
    echo $(($(date +%s) * 1000))
  fi
}

# "PID PGID BERTH_RUN=MARKER" for every live process that carries a marker, one per line.
scan() {
  case "$mode" in
    procfs)
      raw=$(grep -az -o -H '^BERTH_RUN=[0-9a-f]*$' /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n' | sed 's#^/proc/\([0-9]*\)/environ:#\1 #')
      table=""
      IFS=$nl
      for row in $raw; do
        p=${row%% *}
        read -r st < "/proc/$p/stat" 2>/dev/null || continue
        IFS=' '
        set -- ${st##*) }
        IFS=$nl
        table="$table$p $3 ${row#* }$nl"
      done
      IFS=' '
      ;;
    ps-e) table=$(LC_ALL=C ps -A -ww e -o pid=,pgid=,command= 2>/dev/null | sed -n "$extract") ;;
    *) table=$(LC_ALL=C ps -A -ww -E -o pid=,pgid=,command= 2>/dev/null | sed -n "$extract") ;;
  esac
}
extract='s/^ *\([0-9][0-9]*\)  *\([0-9][0-9]*\) .* BERTH_RUN=\([0-9a-f]*\)\( .*\)\{0,1\}$/\1 \2 BERTH_RUN=\3/p'

# Sets $found to the pids carrying marker $1 outside group $2 (the group is signalled as one).
marked() {
  found=""
  IFS=$nl
  for row in $table; do
    case "$row" in
      *" BERTH_RUN=$1")
        rest=${row#* }
        [ "${rest%% *}" = "$2" ] || found="$found ${row%% *}"
        ;;
    esac
  done
  IFS=' '
}

# Sends signal $2 to group $1 and to every marked pid of it, each once (SIGKILL again every turn).
send() {
  eval "m=\$mark_$1 sent=\$sent_$1"
  case "$sent" in *" $2:-$1 "*) ;; *) kill -s "$2" -- "-$1" 2>/dev/null; [ "$2" = KILL ] || sent="$sent$2:-$1 " ;; esac
  if [ "${3:-}" != group ]; then
    marked "$m" "$1"
    for p in $found; do
      case "$sent" in *" $2:$p "*) ;; *) kill -s "$2" "$p" 2>/dev/null; [ "$2" = KILL ] || sent="$sent$2:$p " ;; esac
    done
  fi
  eval "sent_$1=\$sent"
}

# The groups first, at once; then the marked processes outside them.
started=$(now)
for g in $groups; do eval "s=\$sig_$g"; send "$g" "$s" group; done
scan
for g in $groups; do eval "s=\$sig_$g"; send "$g" "$s"; done
while [ -n "$groups" ]; do
  sleep 0.05
  scan
  elapsed=$(($(now) - started))
  left=""
  for g in $groups; do
    eval "m=\$mark_$g s=\$sig_$g t=\$wait_$g"
    marked "$m" "$g"
    if [ -z "$found" ] && ! kill -s 0 -- "-$g" 2>/dev/null; then continue; fi
    if [ "$elapsed" -ge $((t + 2000)) ]; then continue; fi # outlived SIGKILL by 2 s: nothing more to do
    if [ "$elapsed" -ge "$t" ]; then send "$g" KILL; else send "$g" "$s"; fi
    left="$left $g"
  done
  groups=$left
done
exit 0
