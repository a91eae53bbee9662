# Product-level global value chains: entry point. Stages live in workflow/rules/, the science in
# workflow/valuechain/ (an installed library), one thin script per rule in scripts/.
from snakemake.utils import min_version

min_version("9.12")


configfile: "config/config.default.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/public.smk"
include: "workflow/rules/rca.smk"
include: "workflow/rules/links.smk"
include: "workflow/rules/flows.smk"
include: "workflow/rules/finetune.smk"
include: "workflow/rules/icio.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/methods.smk"
include: "workflow/rules/explorer.smk"
# After the stages: the downloads need every stage's data files, tables and years.
include: "workflow/rules/retrieve.smk"
include: "workflow/rules/manifest.smk"


# Run by Snakemake itself, never submitted to a cluster: the downloads need the network that compute nodes often
# lack (and retrieve_icio_table, in icio.smk), and the others only link or list files.
localrules:
    retrieve_data,
    retrieve_public,
    retrieve_baci,
    retrieve_product_truth,
    retrieve_oecd_icio,
    install_explorer_libraries,
    gather_flows,
    write_manifest,


rule all:
    """Everything the run produces: its manifest lists every artifact."""
    default_target: True
    input:
        res("MANIFEST.json"),
