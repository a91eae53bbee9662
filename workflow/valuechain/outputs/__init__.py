"""What people read: figures (``figures``, ``analysis_figures``), the report's tables (``report``) and the explorer
page (``explorer``)."""
