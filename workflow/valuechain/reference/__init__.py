"""Reference networks the links are checked against: the product reference from the US Use table (``product``),
a user's or the published network (``links_file``), and the WIOD 2016 national tables (``niot``)."""
