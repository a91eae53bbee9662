"""What every rule shares: its inputs, outputs and log (``smk``), config keys that moved (``config``), Parquet
with provenance and the manifest (``provenance``), the threads it computes with (``threads``), the SLURM
profile's checks (``cluster``), downloads from mirrors or URLs (``retrieve``) and optional dependencies
(``optional``)."""
