#!/bin/sh
# The pipeline's topics, created once the broker answers (the broker does not auto-create topics):
# TOPICS="name:partitions …" as docker-compose.yml sets it, the same topics and partition counts as
# `npm run stack` (scripts/stack/stack.ts; scripts/compose/compose.test.ts checks). Runs in the
# apache/kafka image; `--if-not-exists` makes a re-run (every `docker compose up`) a no-op. An existing
# topic keeps its partitions: this never alters one.
set -eu
: "${KAFKA_BOOTSTRAP:?KAFKA_BOOTSTRAP (host:port) is required}"
: "${TOPICS:?TOPICS (name:partitions …) is required}"
KAFKA_TOPICS_BIN="${KAFKA_TOPICS_BIN:-/opt/kafka/bin/kafka-topics.sh}"

for spec in $TOPICS; do
  name="${spec%%:*}"
  partitions="${spec##*:}"
  case "$partitions" in
    '' | *[!0-9]*)
      echo "create-topics: bad spec '$spec' (want name:partitions)" >&2
      exit 2
      ;;
  esac
  "$KAFKA_TOPICS_BIN" --bootstrap-server "$KAFKA_BOOTSTRAP" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor 1
done
"$KAFKA_TOPICS_BIN" --bootstrap-server "$KAFKA_BOOTSTRAP" --describe
echo "create-topics: done ($TOPICS)"
