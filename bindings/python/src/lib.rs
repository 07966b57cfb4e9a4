//! python binding glue over the srekit core. Not yet built: the python package issue fills this in.
