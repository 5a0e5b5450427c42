/* The reset guest is all assembly (start.S). */
