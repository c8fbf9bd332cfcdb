//! Encrypted, signed bundles of entries for one-way couriers (USB, email, files).
