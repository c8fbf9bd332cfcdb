-- Gavah store, version 4: exchange between nodes (bundles, later live sync).
-- These tables are this node's own bookkeeping, not projections: `gavah
-- rebuild` keeps them, and they never leave the node.

-- The signature of every entry this node holds that was signed: entries from
-- other nodes arrive signed; this node's own entries are signed when first
-- exported. The signature is over the stored copy's canonical bytes (when a
-- copy written earlier elsewhere replaces ours, its signature replaces ours).
CREATE TABLE entry_sigs (
    id        BLOB PRIMARY KEY,        -- entries.id
    signer    BLOB NOT NULL,           -- 32-byte ed25519 key
    signature BLOB NOT NULL            -- 64 bytes
) WITHOUT ROWID;

-- Nodes this node exchanges with, by their public keys.
CREATE TABLE peers (
    signer     BLOB PRIMARY KEY,       -- 32-byte ed25519 key
    public_key BLOB,                   -- 64 bytes (ed25519 ‖ X25519); NULL when
                                       -- only the signer is known (quarantine)
    name       TEXT,
    status     TEXT NOT NULL CHECK (status IN ('trusted', 'revoked')),
    changed_ms INTEGER NOT NULL,
    -- A revoked key's entries stamped at or before this clock reading are still
    -- accepted; NULL rejects all of them that arrive after the revocation.
    revoked_after_hlc INTEGER
) WITHOUT ROWID;

-- Which key signs each node's entries: fixed by the first entry accepted from
-- the node, so that one trusted key cannot write in another node's name.
CREATE TABLE node_signers (
    node   BLOB PRIMARY KEY,           -- entries.node
    signer BLOB NOT NULL
) WITHOUT ROWID;

-- Entries received but not merged: signed by, or carried by, a key this node
-- does not trust yet. `gavah node trust` merges them.
CREATE TABLE quarantine (
    id          BLOB PRIMARY KEY,      -- entry id
    node        BLOB NOT NULL,         -- the entry's origin node
    hlc         INTEGER NOT NULL,      -- and its clock reading
    signer      BLOB NOT NULL,         -- the entry's signer
    carrier     BLOB NOT NULL,         -- the signer of the bundle it came in
    signature   BLOB NOT NULL,
    bytes       BLOB NOT NULL,         -- canonical bytes
    received_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX quarantine_signer ON quarantine (signer);
CREATE INDEX quarantine_carrier ON quarantine (carrier);
CREATE INDEX quarantine_node ON quarantine (node, hlc);

-- Bundles imported, so that the same file twice is recognised and reported.
CREATE TABLE bundles_seen (
    id          BLOB PRIMARY KEY,      -- 16-byte bundle id
    sender      BLOB NOT NULL,
    imported_ms INTEGER NOT NULL,
    entries     INTEGER NOT NULL,
    merged      INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    rejected    INTEGER NOT NULL
) WITHOUT ROWID;

-- Which clock ranges of each origin node's entries this node has received in
-- full: (lo, hi] intervals, merged. The acknowledgement a node sends is, per
-- origin node, the end of the interval that starts at 0.
CREATE TABLE coverage (
    node BLOB NOT NULL,
    lo   INTEGER NOT NULL,
    hi   INTEGER NOT NULL,
    PRIMARY KEY (node, lo)
) WITHOUT ROWID;

-- What each peer last said it holds: per origin node, every entry up to this
-- clock reading. Exports to the peer start after it.
CREATE TABLE peer_acks (
    peer BLOB NOT NULL,                -- the peer's signer key
    node BLOB NOT NULL,                -- origin node
    hlc  INTEGER NOT NULL,
    PRIMARY KEY (peer, node)
) WITHOUT ROWID;
