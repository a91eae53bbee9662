"""Analyses of a product network: the validated co-specialisation network (``validated``), trophic levels and
positions (``trophic``), and network measures, sections and the extended network (``network``)."""
