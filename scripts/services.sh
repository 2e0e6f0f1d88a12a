#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer,
# starting them if they do not: a local installation first, else
# `docker compose`, else it says what to install and fails.
#
# Prints one word on stdout, for scripts: "local" or "docker". Everything
# else goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "services: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
	local name=$1 port=$2
	for _ in $(seq 1 60); do
		port_open 127.0.0.1 "$port" && return 0
		sleep 0.5
	done
	say "$name antwortet nach 30 Sekunden noch nicht auf 127.0.0.1:$port."
	return 1
}

have_docker() { command -v docker >/dev/null && docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }

mode=local

start_postgres() {
	if port_open 127.0.0.1 5432; then return 0; fi
	if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
		local version
		version=$(ls /etc/postgresql | sort -V | tail -1)
		say "starte PostgreSQL $version (lokal)"
		pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
	elif have_docker; then
		say "starte PostgreSQL mit docker compose"
		docker compose up -d --wait postgres >&2
		mode=docker
	else
		say "PostgreSQL läuft nicht auf 127.0.0.1:5432 und lässt sich nicht starten."
		say "Installieren Sie PostgreSQL 15 (Debian/Ubuntu: sudo apt-get install postgresql)"
		say "oder Docker mit Compose (https://docs.docker.com/engine/install/)."
		exit 1
	fi
	wait_port PostgreSQL 5432
}

start_redis() {
	if port_open 127.0.0.1 6379; then return 0; fi
	if command -v redis-server >/dev/null; then
		say "starte Redis (lokal)"
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >&2
	elif have_docker; then
		say "starte Redis mit docker compose"
		docker compose up -d --wait redis >&2
		mode=docker
	else
		say "Redis läuft nicht auf 127.0.0.1:6379 und lässt sich nicht starten."
		say "Installieren Sie Redis 7 (Debian/Ubuntu: sudo apt-get install redis-server)"
		say "oder Docker mit Compose (https://docs.docker.com/engine/install/)."
		exit 1
	fi
	wait_port Redis 6379
}

start_postgres
start_redis
# A PostgreSQL started by compose is the compose one, even if Redis was local.
if have_docker && docker compose ps --status running --services 2>/dev/null | grep -qx postgres; then
	mode=docker
fi
echo "$mode"
