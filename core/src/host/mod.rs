//! Host collectors with node_exporter's metric names (see the host metrics issue). Not yet built.
