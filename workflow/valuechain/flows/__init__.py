"""Trade flows from region to region along the links: allocation (``allocation``) and queries of the flows
dataset (``query``)."""
