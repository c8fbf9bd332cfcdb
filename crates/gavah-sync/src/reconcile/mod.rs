//! Set reconciliation for live sync: which entries each side lacks, in few bytes.
