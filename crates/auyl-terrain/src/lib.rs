//! Digital elevation models: tiles decoded from bytes, elevation at a point, path profiles.
