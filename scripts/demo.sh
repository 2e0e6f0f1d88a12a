#!/usr/bin/env bash
# The demo behind `make demo`: start what is missing, set up a demo database,
# show how a faulty contact list is refused, import the demo contacts, send
# their opt-in mails with the worker, invite to an event, register a caller
# who gets no newsletter, invite the late confirmers only, correct a name,
# schedule and reschedule a newsletter, and say where the mails went.
#
# It uses its own database (rundbrief_demo, recreated on every run) and queue
# namespace (rundbrief-demo), so it never touches a real installation.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=bin/rundbrief
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

mode=$(scripts/services.sh)

export RUNDBRIEF_SECRET="demo-secret-for-make-demo-only-never-use-in-production"
export RUNDBRIEF_QUEUE_NAMESPACE=rundbrief-demo
export RUNDBRIEF_BASE_URL="${RUNDBRIEF_BASE_URL:-http://127.0.0.1:8080}"
# The office's looks: a logo in every mail's header, the EU emblem in every
# footer (examples/bilder; replace them with your own), answers to the office.
export RUNDBRIEF_LOGO="${RUNDBRIEF_LOGO:-examples/bilder/knf-logo.png}"
export RUNDBRIEF_FOOTER_LOGOS="${RUNDBRIEF_FOOTER_LOGOS:-examples/bilder/eu-emblem.png|Kofinanziert von der Europäischen Union|Kofinanziert von der Europäischen Union}"
export RUNDBRIEF_REPLY_TO="${RUNDBRIEF_REPLY_TO:-Netzwerkstelle Fachkräftesicherung <fachkraefte@example.org>}"
unset RUNDBRIEF_SMTP_URL RUNDBRIEF_OUTBOX

if [ "$mode" = docker ]; then
	# PostgreSQL and Mailpit from docker-compose.yml.
	export RUNDBRIEF_DATABASE_URL="postgres://rundbrief:${POSTGRES_PASSWORD:-rundbrief}@127.0.0.1:5432/rundbrief_demo?sslmode=disable"
	export RUNDBRIEF_SMTP_URL="smtp://127.0.0.1:1025?tls=none"
	export RUNDBRIEF_FROM="Netzwerkstelle Fachkräftesicherung <rundbrief@example.org>"
	docker compose up -d --wait mailpit >&2
	step "Demo-Datenbank neu anlegen"
	docker compose exec -T postgres psql -q -U rundbrief -d postgres -c "DROP DATABASE IF EXISTS rundbrief_demo WITH (FORCE)"
else
	export RUNDBRIEF_DATABASE_URL="${RUNDBRIEF_DEMO_DATABASE_URL:-postgres://127.0.0.1:5432/rundbrief_demo?sslmode=disable}"
	export RUNDBRIEF_OUTBOX=./outbox/demo
	step "Demo-Datenbank und Ausgangsordner neu anlegen"
	admin_url=$(echo "$RUNDBRIEF_DATABASE_URL" | sed 's#/rundbrief_demo?#/postgres?#')
	if command -v psql >/dev/null; then
		psql -q "$admin_url" -c "DROP DATABASE IF EXISTS rundbrief_demo WITH (FORCE)"
	else
		echo "(psql fehlt: die Demo-Datenbank bleibt, wie sie ist)"
	fi
	rm -rf ./outbox/demo ./outbox/demo-vorschau
	# The queue of an earlier demo run (a newsletter it scheduled) goes too.
	if command -v redis-cli >/dev/null; then
		redis-cli --scan --pattern "asynq:{$RUNDBRIEF_QUEUE_NAMESPACE:*" | xargs -r redis-cli del >/dev/null
		redis-cli --scan --pattern "$RUNDBRIEF_QUEUE_NAMESPACE:*" | xargs -r redis-cli del >/dev/null
	fi
fi

step "Einstellungen"
$bin config

step "Datenbank einrichten: rundbrief migrate"
$bin migrate

step "Eine fehlerhafte Liste wird abgelehnt, ohne etwas zu speichern"
echo "\$ rundbrief subscribers import examples/kontakte-fehlerhaft.csv"
if $bin subscribers import examples/kontakte-fehlerhaft.csv; then
	echo "Unerwartet: die fehlerhafte Liste wurde angenommen." >&2
	exit 1
fi
echo "(Ende mit Code 1, wie vorgesehen)"

step "Die Demo-Kontakte aufnehmen"
echo "\$ rundbrief subscribers import examples/kontakte-demo.csv"
$bin subscribers import examples/kontakte-demo.csv

step "Ein zweiter Import derselben Datei ändert nichts"
$bin subscribers import examples/kontakte-demo.csv

step "Der Worker verschickt die Bestätigungsmails"
echo "\$ rundbrief worker --until-empty"
RUNDBRIEF_LOG_LEVEL=warn $bin worker --until-empty

step "Der Verteiler"
$bin subscribers list

step "Die fünf Veranstaltungen der Netzwerkstelle anlegen"
for f in examples/events/*.yaml; do
	echo "\$ rundbrief events create -f $f"
	$bin events create -f "$f" | head -1
done
$bin events publish talent-campus-2027
$bin events list

step "Kontakte mit schriftlicher Einwilligung (Anmeldekarten der Berufemesse) aufnehmen"
echo "\$ rundbrief subscribers import examples/kontakte-messe.csv --confirmed --consent-note \"Anmeldekarten Berufemesse 2026\""
$bin subscribers import examples/kontakte-messe.csv --confirmed --consent-note "Anmeldekarten Berufemesse 2026"

step "Einladung zum Talent-Campus: anlegen, Probelauf, Vorschau, verschicken"
echo "\$ rundbrief campaigns create invitation --event talent-campus-2027 --intro \"Liebe Eltern, …\" --attach examples/programm-talent-campus.pdf"
$bin campaigns create invitation --event talent-campus-2027 \
	--intro "Liebe Eltern, in den Sommerferien wird in der Kreisvolkshochschule getanzt, gefilmt und gerappt – fünf Tage lang, kostenlos und mit Mittagessen." \
	--attach examples/programm-talent-campus.pdf
echo "\$ rundbrief campaigns send 1 --dry-run"
$bin campaigns send 1 --dry-run
echo "\$ rundbrief campaigns preview 1 --dir ./outbox/demo-vorschau"
$bin campaigns preview 1 --dir ./outbox/demo-vorschau
echo "\$ rundbrief campaigns send 1 --yes"
$bin campaigns send 1 --yes
echo "\$ rundbrief worker --until-empty"
RUNDBRIEF_LOG_LEVEL=warn $bin worker --until-empty
echo "\$ rundbrief campaigns status 1"
$bin campaigns status 1
echo "\$ rundbrief subscribers show maria.kowalska@example.org   (warum bekam sie die Einladung?)"
$bin subscribers show maria.kowalska@example.org | sed -n '/^Kampagnen/,$p'

step "Anmeldungen zum Talent-Campus (eine am Telefon) und die Teilnahmeliste"
echo "\$ rundbrief events register talent-campus-2027 familie.schubert@example.org --people 3"
$bin events register talent-campus-2027 familie.schubert@example.org --people 3
echo "\$ rundbrief events registrations talent-campus-2027"
$bin events registrations talent-campus-2027
echo "\$ rundbrief worker --until-empty   (verschickt die Anmeldebestätigung mit Kalenderdatei)"
RUNDBRIEF_LOG_LEVEL=warn $bin worker --until-empty

step "Anmeldung am Telefon: nur für die Veranstaltung, kein Rundbrief"
echo "\$ rundbrief events register talent-campus-2027 renate.krause@example.org --name \"Renate Krause\" --phone \"03631 445566\" --people 2"
$bin events register talent-campus-2027 renate.krause@example.org --name "Renate Krause" --phone "03631 445566" --people 2
echo "\$ rundbrief subscribers show renate.krause@example.org"
$bin subscribers show renate.krause@example.org | sed -n '1,12p'

step "Nachzügler: Einladung nur an die, die noch keine bekommen haben"
echo "\$ rundbrief subscribers add nachzuegler@example.org --kind Familie --topics jugend --confirmed --consent-note \"Anruf, Einwilligung mündlich\""
$bin subscribers add nachzuegler@example.org --kind Familie --topics jugend --confirmed --consent-note "Anruf, Einwilligung mündlich"
echo "\$ rundbrief campaigns create invitation --event talent-campus-2027 --new-only"
$bin campaigns create invitation --event talent-campus-2027 --new-only
echo "\$ rundbrief campaigns send 2 --yes"
$bin campaigns send 2 --yes
RUNDBRIEF_LOG_LEVEL=warn $bin worker --until-empty
$bin campaigns status 2

step "Einen Namen berichtigen"
echo "\$ rundbrief subscribers update familie.schubert@example.org --name \"Familie Schubert-Lang\""
$bin subscribers update familie.schubert@example.org --name "Familie Schubert-Lang"

step "Ein Rundbrief: anlegen, planen, verschieben"
echo "\$ rundbrief campaigns create newsletter --subject \"Rundbrief Dezember 2026\" --body examples/rundbrief-dezember-2026.md"
$bin campaigns create newsletter --subject "Rundbrief Dezember 2026" --body examples/rundbrief-dezember-2026.md
if $bin campaigns send 3 --dry-run | grep -q renate.krause; then
	echo "Unerwartet: der Rundbrief ginge an einen Kontakt, der nur angemeldet ist." >&2
	exit 1
fi
echo "(Renate Krause, nur zur Veranstaltung angemeldet, ist nicht unter den Empfangenden.)"
first_at=$(date -d '+2 days' '+%d.%m.%Y 9 Uhr')
later_at=$(date -d '+3 days' '+%d.%m.%Y 10.30 Uhr')
echo "\$ rundbrief campaigns send 3 --at \"$first_at\" --yes"
$bin campaigns send 3 --at "$first_at" --yes
echo "\$ rundbrief campaigns send 3 --at \"$later_at\" --yes   (verschoben)"
$bin campaigns send 3 --at "$later_at" --yes
$bin campaigns list

step "Ergebnis"
if [ "$mode" = docker ]; then
	echo "Die Bestätigungsmails und Einladungen liegen in Mailpit: http://127.0.0.1:8025"
else
	dir=$(cd ./outbox/demo && pwd)
	count=$(ls "$dir"/*.eml | wc -l)
	echo "$count Mails (Bestätigungsmails und Einladungen) liegen im Ausgangsordner $dir:"
	ls "$dir" | head -3 | sed 's/^/  /'
	echo "  ..."
	first=$(ls "$dir"/*.eml | head -1)
	echo
	echo "Bestätigungslink in der ersten Mail:"
	# The link is quoted-printable encoded in the file (CRLF line ends); join
	# soft line breaks.
	tr -d '\r' <"$first" | sed -e ':a' -e '/=$/{N;s/=\n//;ba}' | grep -o -m1 "${RUNDBRIEF_BASE_URL}/confirm/[A-Za-z0-9_-]*" | sed 's/^/  /'
	echo
	echo "Ansehen: eine .eml-Datei in Thunderbird oder Outlook öffnen."
fi

step "Die Webseiten: rundbrief run (Webseiten und Worker in einem Prozess)"
listen="${RUNDBRIEF_BASE_URL#http://}"
if [ "$mode" = docker ] || ! command -v curl >/dev/null; then
	echo "Zum Ausprobieren: RUNDBRIEF_LISTEN=$listen $bin run, dann $RUNDBRIEF_BASE_URL im Browser öffnen."
elif (exec 3<>"/dev/tcp/${listen%:*}/${listen#*:}") 2>/dev/null; then
	echo "$listen ist belegt; die Webseiten werden übersprungen."
else
	log=./outbox/demo-run.log
	RUNDBRIEF_LISTEN="$listen" $bin run >"$log" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null || true' EXIT
	for _ in $(seq 1 50); do curl -fs "$RUNDBRIEF_BASE_URL/healthz" >/dev/null && break; sleep 0.1; done
	echo "\$ curl -X POST $RUNDBRIEF_BASE_URL/subscribe (Formular: neu@beispiel.example, Familie, Einwilligung)"
	curl -fs -o /dev/null -w "  Antwort: %{http_code}\n" "$RUNDBRIEF_BASE_URL/subscribe" \
		--data-urlencode email=neu@beispiel.example -d kind=family -d age=yes -d consent=yes -d topics=jugend
	confirm=$(tr -d '\r' <"$first" | sed -e ':a' -e '/=$/{N;s/=\n//;ba}' | grep -o -m1 "${RUNDBRIEF_BASE_URL}/confirm/[A-Za-z0-9_-]*")
	echo "\$ curl -X POST <Bestätigungslink der ersten Mail>   (wie der Knopf auf der Seite)"
	curl -fs -o /dev/null -w "  Antwort: %{http_code}\n" -X POST "$confirm"
	for _ in $(seq 1 50); do [ "$(ls "$dir"/*.eml | wc -l)" -ge $((count + 2)) ] && break; sleep 0.1; done
	kill -TERM $pid; wait $pid || true
	trap - EXIT
	echo "Jetzt liegen $(ls "$dir"/*.eml | wc -l) Mails im Ausgangsordner: dazu die Bestätigungsmail für"
	echo "neu@beispiel.example und die Willkommensmail mit dem Link zu den Einstellungen."
	echo
	echo "Im Browser ausprobieren: RUNDBRIEF_LISTEN=$listen $bin run"
	echo "(mit denselben Umgebungsvariablen), dann $RUNDBRIEF_BASE_URL öffnen."
fi
