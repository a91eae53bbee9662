"""Trade flows from region to region along the links: allocation (``allocation``), the flows as three factors
that grow linearly with the regions (``factors``) and queries of the flows dataset (``query``)."""
