"""voxgraph's Python job worker: claims pg-boss jobs from PostgreSQL and runs speech engines."""
