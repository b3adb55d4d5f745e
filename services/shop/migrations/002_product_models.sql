-- The content hash of the product's model: its metadata and previews in the object store are keyed by it.
ALTER TABLE products ADD COLUMN model_sha256 text;
