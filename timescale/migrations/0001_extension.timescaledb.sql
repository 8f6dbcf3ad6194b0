-- TimescaleDB path only: the extension (the server must preload it: shared_preload_libraries).
CREATE EXTENSION IF NOT EXISTS timescaledb;
