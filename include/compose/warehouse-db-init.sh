#!/bin/bash
# The scale-out warehouse, made once when the warehouse-db volume is created
# (/docker-entrypoint-initdb.d): the published database BI reads and a login role that can read
# only that. The work database is $POSTGRES_DB, owned by $POSTGRES_USER (the night).
set -euo pipefail

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v work="$POSTGRES_DB" \
    -v published="${LEADFLOW_PG_PUBLISHED_DATABASE:-leadflow}" \
    -v reader="${LEADFLOW_PG_READER_ROLE:-leadflow_reader}" \
    -v reader_password="$LEADFLOW_PG_READER_PASSWORD" <<'SQL'
create database :"published";
create role :"reader" login password :'reader_password';
revoke connect on database :"work" from public;
revoke connect on database :"published" from public;
grant connect on database :"published" to :"reader";
SQL
