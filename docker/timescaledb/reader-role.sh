#!/bin/sh
# Runs once, when the TimescaleDB image initialises an empty data directory (mounted into
# /docker-entrypoint-initdb.d; executable, so it runs in its own shell). Creates the read-only role the
# exporter and Grafana connect as: SELECT on every table and view POSTGRES_USER creates in schema
# public from now on — the connector's migrations create them later, hence default privileges rather
# than grants. Nothing else: no INSERT/UPDATE/DELETE, no CREATE.
set -eu
: "${POSTGRES_USER:?}" "${POSTGRES_DB:?}"
: "${READER_DB_USER:?READER_DB_USER is required}" "${READER_DB_PASSWORD:?READER_DB_PASSWORD is required}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v reader="$READER_DB_USER" -v password="$READER_DB_PASSWORD" -v owner="$POSTGRES_USER" \
  -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE :"db" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
SQL
echo "reader-role: role $READER_DB_USER can read schema public of $POSTGRES_DB"
