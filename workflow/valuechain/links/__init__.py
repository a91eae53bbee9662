"""Product input links: every method behind one function (``methods``), Backward & Forward (``bf``, its loop
reference ``naive``), co-specialisation scores (``cospec``), the learned model (``learned``), world and industry
evidence (``evidence``), ICIO industry pairs as a yardstick (``yardstick``), the threshold fine-tuning
(``finetune``), and scoring (``evaluate``, ``comparison``)."""
