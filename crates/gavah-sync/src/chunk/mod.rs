//! Fountain-coded chunks (RaptorQ) for tiny, lossy, out-of-order channels.
