"""Shared fixtures: the real product-truth tables, retrieved from the local data mirror (../shared/data, how
tests and CI run offline) with their pinned checksums, and the HS4 reference network built from them."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from valuechain import reference as ref
from valuechain.retrieve import retrieve

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def product_truth(tmp_path_factory) -> Path:
    cfg = yaml.safe_load((ROOT / "config/config.default.yaml").read_text())
    mirror = (ROOT / cfg["data_mirror"] / "product_truth").resolve()
    out = tmp_path_factory.mktemp("product_truth")
    for f in cfg["reference"]["files"].values():
        retrieve(f["name"], out / f["name"], mirror, f["url"], f["sha256"], f["source"])
    return out


@pytest.fixture(scope="session")
def hs4_reference(product_truth) -> tuple[pd.DataFrame, pd.Index]:
    """``(links, scorable products)`` of the HS4 reference at the default rule (exact NAICS match)."""
    d = product_truth
    codes = pd.read_csv(d / "bea_detail_commodities_2017.csv", dtype=str).iloc[:, 0]
    shares = ref.read_use_shares(d / "bea_use_detail_2017_producer_before_redef.parquet", codes)
    hs6_bea = ref.hs6_to_bea(pd.read_csv(d / "hs6_naics.csv", dtype=str),
                             pd.read_csv(d / "bea_naics_crosswalk_2017.csv", dtype=str))
    R, products = ref.reference_shares(ref.product_bea(hs6_bea, 4), shares)
    return ref.reference_links(R, products, 0.01), products
