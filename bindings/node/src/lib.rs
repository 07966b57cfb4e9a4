//! node binding glue over the srekit core. Not yet built: the node package issue fills this in.
