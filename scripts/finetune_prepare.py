"""Rule finetune_prepare: cleaned, summed ICIO tables -> specialisation and trade-intensity labels (docs/method.md section 5)."""

from valuechain.glue.provenance import write_table
from valuechain.glue.smk import meta, rule_io, setup
from valuechain.links import yardstick


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    table = yardstick.prepare_tables(
        list(snakemake.input.tables), p.source, p.split_countries, p.drop_countries, p.household
    )
    log.info("%s %s: %d countries x %d industries after cleaning", p.source, p.years, len(table.countries),
             len(table.industries))
    spec = yardstick.specialisation(table.Z)
    labels = yardstick.trade_intensity_labels(table.Z)
    off = labels[labels["input"] != labels["output"]]
    log.info("%d of %d off-diagonal industry links are true (TI >= 1): base rate %.4f", off["label"].sum(), len(off),
             off["label"].mean())
    write_table(spec, snakemake.output.specialisation, meta(snakemake, "finetune_specialisation/1"))
    write_table(labels, snakemake.output.labels, meta(snakemake, "finetune_labels/1"))


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
