#!/usr/bin/env bash
# Makes a Unix account for each student of a list, in the class group, with a random password,
# and prints the login slips as CSV (login,password) to hand out — keep that file safe.
#
#   deploy/add-students.sh names.txt > slips.csv      one login per line (a-z, 0-9, - _; max 32)
#   deploy/add-students.sh --remove names.txt          delete those accounts and their homes
#
# Students log in at http://HOST:8000 with that password (PAM) and can change it in a terminal
# of their server (New > Terminal, `passwd`). Accounts have no shell login over SSH unless you
# give them one; their lessons appear in ~/lessons at the first login.
set -euo pipefail
group=${ATTNVIZ_CLASS_GROUP:-attnviz-class}
[ -f /etc/default/attnviz-hub ] && . /etc/default/attnviz-hub && group=${ATTNVIZ_CLASS_GROUP:-$group}
[ "$(id -u)" = 0 ] || { echo "add-students: run as root" >&2; exit 1; }

remove=0
if [ "${1:-}" = --remove ]; then remove=1; shift; fi
[ $# = 1 ] && [ -f "$1" ] || { echo "usage: deploy/add-students.sh [--remove] names.txt" >&2; exit 2; }
getent group "$group" >/dev/null || groupadd "$group"

[ $remove = 1 ] || echo "login,password"
while IFS= read -r name || [ -n "$name" ]; do
	name=$(printf '%s' "$name" | tr -d '[:space:]' | tr '[:upper:]' '[:lower:]')
	[ -n "$name" ] || continue
	case $name in \#*) continue ;; esac
	if ! printf '%s' "$name" | grep -Eq '^[a-z_][a-z0-9_-]{0,31}$'; then
		echo "add-students: skipping '$name': a login is a-z, 0-9, - and _, starting with a letter" >&2
		continue
	fi
	if [ $remove = 1 ]; then
		if id "$name" >/dev/null 2>&1 && id -nG "$name" | tr ' ' '\n' | grep -qx "$group"; then
			userdel -r "$name" 2>/dev/null || userdel "$name"
			echo "add-students: removed $name" >&2
		fi
		continue
	fi
	if id "$name" >/dev/null 2>&1; then
		echo "add-students: $name exists; added to $group, password unchanged" >&2
		usermod -aG "$group" "$name"
		continue
	fi
	pw=$(set +o pipefail; tr -dc 'a-km-z2-9' </dev/urandom | head -c 10)
	useradd --create-home --shell /bin/bash --groups "$group" "$name"
	chmod 0700 "/home/$name"
	echo "$name:$pw" | chpasswd
	echo "$name,$pw"
done <"$1"
