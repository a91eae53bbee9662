"""Trade data in: the canonical long form and its checks (``canonical``), the sources that produce it (``demo``,
``public``, ``baci``), HS nomenclature (``hs``), cleaning (``clean``) and specialisation (``rca``)."""
