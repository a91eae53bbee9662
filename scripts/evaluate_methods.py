"""Rule evaluate_methods: every link method on every yardstick (evaluation/methods.parquet): the world yardstick
(every country's exports against the product reference, held out), the ICIO tables held out (and in sample,
labelled), the known truth, the product reference in both labellings; with precision at matched coverage, and the
precision-coverage figure."""

import json

import pandas as pd

from valuechain import niot
from valuechain.cospec import bf_confidence, heldout_choice, variants
from valuechain.evaluate import method_scores, precision_at_coverage, read_truth, read_universe, standard_network
from valuechain.figures import precision_coverage
from valuechain.finetune import fold_of_outputs, label_matrix, rca_arrays, score_counts
from valuechain.links import clipped_k, fitted_options, links_from_rca, regional_score
from valuechain.provenance import read_metadata, write_table
from valuechain.reference import LABELLINGS, labelled
from valuechain.smk import meta, rule_io, setup


def main(snakemake) -> None:
    log = setup(snakemake)
    p = snakemake.params
    inp = snakemake.input
    k = clipped_k(p.k, len(read_universe(inp.universe)))  # a larger k asks for every candidate
    links = {m: pd.read_parquet(path) for m, path in zip(p.methods, inp.links)}
    if "bf" in links:  # B&F's documented confidence, as in links/final.parquet
        links["bf"] = links["bf"].assign(confidence=bf_confidence(links["bf"]["score"]))

    # ICIO: the fine-tuning stage's held-out figures of each method's own selection procedure.
    rows = []
    bf_heldout = pd.read_parquet(inp.bf_heldout)
    icio = {"bf": {"years": bf_heldout.loc[bf_heldout["scheme"] == "years", "heldout_precision"],
                   "industries": bf_heldout.loc[bf_heldout["fold"] == "pooled", "heldout_precision"]}}
    with open(inp.bf_thresholds) as fh:
        icio["bf"]["in_sample"] = json.load(fh)["precision"]
    if "cospec" in p.methods:
        sel = pd.read_parquet(inp.cospec_selection)
        icio["cospec"] = {**json.loads(read_metadata(inp.cospec_selection)["heldout"]),
                          "in_sample": sel.loc[sel["chosen"], "tune"].iloc[0]}
    if "learned" in p.methods:
        tr = pd.read_parquet(inp.learned_training)
        chosen = tr[tr["chosen"]].iloc[0]
        icio["learned"] = {"years": chosen["heldout_years"], "industries": chosen["heldout_industries"],
                           "in_sample": chosen["in_sample"]}
    if "regional" in p.methods:  # its cospec variant chosen as cospec's: on the tuning years, or on the other folds
        with open(inp.cospec_variant) as fh:
            variant = json.load(fh)["variant"]
        icio["regional"] = {}
        for sample, scheme in (("heldout", "years"), ("all", "in_sample")):
            E, I, _, industries = rca_arrays(pd.read_parquet(inp[f"{sample}_specialisation"]))
            L = label_matrix(pd.read_parquet(inp[f"{sample}_labels"]), industries)
            predicted, true = score_counts(regional_score(E, I, variant), L, k)
            icio["regional"][scheme] = true.sum() / predicted.sum()
        counts = {v: score_counts(regional_score(E, I, v), L, k) for v in variants()}  # all years
        icio["regional"]["industries"] = heldout_choice(counts, fold_of_outputs(len(industries), p.folds, p.seed))
    if "niot" in inp.keys():  # WIOD 2016, years after WIOD 2013's: held out for every choice made on WIOD 2013
        tables = niot.read_niot_tables(inp.niot)
        E, I, _, industries = rca_arrays(niot.niot_specialisation(tables, p.wiod2016_years))
        L = label_matrix(niot.niot_labels(tables, p.wiod2016_years), industries)
        options = fitted_options(inp.get("cospec_variant"), inp.get("learned_model"))
        with open(inp.bf_thresholds) as fh:  # the thresholds the run's B&F uses
            options["thresholds"] = json.load(fh)["thresholds"] if p.thresholds == "tuned" else p.thresholds
        at = {name: i for i, name in enumerate(industries)}
        for method in [m for m in p.methods if m not in ("world", "fused")]:  # the prior is the label's own table
            top = links_from_rca(method, E, I, industries, k, **options)
            correct = L[top["input"].map(at).to_numpy(), top["output"].map(at).to_numpy()]
            icio.setdefault(method, {})["wiod2016"] = correct.mean()
            log.info("WIOD 2016 %s: precision@%d %.3f over %d links", method, k, correct.mean(), len(top))
    for method in p.methods:
        for scheme, value in icio.get(method, {}).items():
            value = float(value.iloc[0]) if isinstance(value, pd.Series) else float(value)
            rows.append({"method": method, "yardstick": "wiod2016_heldout" if scheme == "wiod2016" else f"icio_{scheme}",
                         "held_out": scheme != "in_sample", "precision": value, "coverage": 1.0})

    # Products: the known truth (demo world or the user's), and the reference at its default min_share.
    universe = read_universe(inp.universe)
    yardsticks = {}
    if "truth" in inp.keys():
        truth = read_truth(inp.truth)
        yardsticks["truth"] = (truth, links)
    cov = pd.read_parquet(inp.coverage)
    scorable = set(cov.loc[cov["scorable"], "product"])
    product_io = pd.read_parquet(inp.reference)
    pool = [u for u in universe if u in scorable]
    in_pool = {m: l[l["output"].isin(pool) & l["input"].isin(pool)] for m, l in links.items()}
    for labels in LABELLINGS:
        ref = labelled(product_io, labels)
        ref = ref[ref["share"] >= p.min_share]
        ref_run = ref[ref["output"].isin(pool) & ref["input"].isin(pool)]
        yardsticks["reference" if labels == "all" else f"reference_{labels}"] = (ref_run, in_pool)
    for name, (truth, nets) in yardsticks.items():
        for method, l in nets.items():
            rows.append({"method": method, "yardstick": name, "held_out": True, **method_scores(l, truth, k)})
    if "published" in inp.keys():  # the paper's network, on its own products
        pub = standard_network(pd.read_parquet(inp.published))
        own = pd.unique(pd.concat([pub["output"], pub["input"]]))
        own = [u for u in own if u in scorable]
        pub = pub[pub["output"].isin(own) & pub["input"].isin(own)]
        for labels in LABELLINGS:
            ref = labelled(product_io, labels)
            ref = ref[(ref["share"] >= p.min_share) & ref["output"].isin(own) & ref["input"].isin(own)]
            rows.append({"method": "published_kh2025", "yardstick": "reference_published_products"
                         + ("" if labels == "all" else f"_{labels}"), "held_out": True, **method_scores(pub, ref, k)})
    if "world" in inp.keys():  # the world yardstick: every country's exports, all HS4 products, held out
        world = pd.read_parquet(inp.world)
        for r in world[world["min_share"] == p.min_share].itertuples():
            rows.append({"method": r.network, "yardstick": "world" + ("" if r.labels == "all" else f"_{r.labels}"),
                         "held_out": bool(r.held_out), "precision": r.precision, "coverage": 1.0,
                         "at_least_1": r.at_least_1, "links": r.scored_links, "outputs": r.scored_outputs})
    table = pd.DataFrame(rows)

    # Precision at matched coverage: every method at the smallest coverage any method has on that yardstick.
    table["matched_coverage"] = table.groupby("yardstick")["coverage"].transform("min")
    table["precision_at_matched_coverage"] = table["precision"]
    for i, row in table[table["yardstick"].isin(list(yardsticks))].iterrows():
        truth, nets = yardsticks[row["yardstick"]]
        table.loc[i, "precision_at_matched_coverage"] = precision_at_coverage(
            nets[row["method"]], truth, k, row["matched_coverage"])
    table.insert(2, "k", k)
    log.info("\n%s", table.round(4).to_string(index=False))
    write_table(table, snakemake.output.evaluation, meta(snakemake, "evaluation_methods/1"))
    curves = {}
    for name, (truth, nets) in yardsticks.items():
        for method, l in nets.items():
            curves[(name, method)] = [(c, precision_at_coverage(l, truth, k, c))
                                      for c in [i / 20 for i in range(1, 21)]]
    precision_coverage(curves, snakemake.output.figure)


if __name__ == "__main__":
    main(rule_io(globals().get("snakemake")))
