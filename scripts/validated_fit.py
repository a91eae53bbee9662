"""Rule validated_fit: the binary specialisation matrices and their two fitted BiCMs (valuechain.analyses.validated), the
input of every block of p-values."""

import json

import pandas as pd

from valuechain.analyses.validated import SpecialisationFit, specialisation_matrices
from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    E, I = specialisation_matrices(pd.read_parquet(snakemake.input.rca), snakemake.params.rca_threshold)
    log.info("%d locations x %d products; %d import and %d export specialisations", *I.shape, I.values.sum(),
             E.values.sum())
    fit = SpecialisationFit.fit(I, E)
    errors = {"import": fit.max_error_import, "export": fit.max_error_export}
    log.info("BiCM largest degree error: %s", json.dumps(errors))
    m = meta(snakemake, "validated_fit/1")
    m["valuechain.bicm_max_degree_error"] = json.dumps(errors)
    write_table(fit.to_frame(), snakemake.output.fit, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
