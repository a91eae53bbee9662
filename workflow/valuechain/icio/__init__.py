"""Inter-country input-output tables: the container, readers and cleaning (``tables``), published formats
(``formats``), value-added accounting (``accounting``, ``perspectives``) and the ``valuechain-icio`` command line
(``cli``)."""
