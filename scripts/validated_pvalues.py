"""Rule validated_pvalues: one scattered block of input products of the validated network, every pair it tests
and the p-values at or below alpha (valuechain.analyses.validated.block_pvalues)."""

from valuechain.analyses.validated import SpecialisationFit
from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, scatter_part, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    fit = SpecialisationFit.read(snakemake.input.fit)
    inputs = scatter_part(snakemake.wildcards.scatteritem, len(fit.products))
    candidates, cooccurring = fit.block(inputs, snakemake.params.alpha, n_jobs=snakemake.threads)
    log.info("block %s: %d input products of %d, %d pairs co-occur, %d with p <= %g", snakemake.wildcards.scatteritem,
             len(inputs), len(fit.products), cooccurring, len(candidates), snakemake.params.alpha)
    codes = fit.products.to_numpy()
    candidates = candidates.assign(input=codes[candidates["input"]], output=codes[candidates["output"]])
    m = meta(snakemake, "validated_pvalues/1")
    m["valuechain.cooccurring"] = str(cooccurring)
    write_table(candidates, snakemake.output.pvalues, m)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
