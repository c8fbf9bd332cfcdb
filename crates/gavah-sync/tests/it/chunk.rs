//! Tests of the chunk module: every channel's file form round-trips, bundles
//! rebuild from any K + 2 chunks in any order amid duplicates, damage and other
//! bundles, short joins say how many more they need, and parsers never panic.

use std::collections::HashSet;

use gavah_sync::chunk::{
    self, BundleId, Channel, Chunk, ChunkError, FileForm, HEADER_BYTES, Joiner, Pushed, join_dir,
    parse_file, split, write_dir,
};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_bundle(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0; len];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

/// Source chunks K of a split: the chunks whose index is below K.
fn source_count(chunks: &[Chunk]) -> usize {
    let first = &chunks[0];
    let symbol = first.payload().len();
    (first.bundle_len() as usize).div_ceil(symbol)
}

#[test]
fn every_channel_round_trips_through_its_files() {
    let bundle = random_bundle(5_000, 1);
    for channel in Channel::ALL {
        let chunks = split(&bundle, channel, None, 10).unwrap();
        assert!(
            chunks
                .iter()
                .all(|c| c.as_bytes().len() <= channel.default_chunk_bytes())
        );
        let mut joiner = Joiner::new();
        let mut joined = None;
        for chunk in &chunks {
            let file = chunk.to_file_bytes(channel).unwrap();
            let parsed = parse_file(&file).unwrap();
            assert_eq!(parsed.chunks, vec![chunk.clone()], "{channel}");
            if let Pushed::Joined(bundle) = joiner.push(parsed.chunks[0].clone()) {
                joined = Some(bundle.bytes);
            }
        }
        assert_eq!(joined.as_deref(), Some(&bundle[..]), "{channel}");
    }
}

#[test]
fn a_folder_of_files_joins_and_unrelated_files_are_skipped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let first = random_bundle(3_000, 2);
    let second = random_bundle(700, 3);
    let a = split(&first, Channel::Sms, None, 10).unwrap();
    let b = split(&second, Channel::Email, None, 10).unwrap();
    let written = write_dir(dir.path(), &a, Channel::Sms).unwrap();
    assert_eq!(written.len(), a.len());
    write_dir(dir.path(), &b, Channel::Email).unwrap();
    std::fs::create_dir(dir.path().join("photos")).unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::File::create(&notes)
        .and_then(|mut f| std::io::Write::write_all(&mut f, "meet at noon".as_bytes()))
        .unwrap();

    let report = join_dir(dir.path()).unwrap();
    let mut joined: Vec<Vec<u8>> = report.bundles.iter().map(|b| b.bytes.clone()).collect();
    joined.sort_by_key(Vec::len);
    assert_eq!(joined, vec![second.clone(), first.clone()]);
    assert!(report.pending.is_empty());
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].path, notes);
    assert!(matches!(
        report.skipped[0].reason,
        ChunkError::NotAChunk { .. }
    ));
    assert_eq!(report.chunks, a.len() + b.len());
    // No temporary files left behind.
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    }));
}

#[test]
fn a_short_folder_says_how_many_more_and_counts_damaged_files() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = random_bundle(4_000, 4);
    let chunks = split(&bundle, Channel::Udp, Some(200), 10).unwrap();
    let k = source_count(&chunks);
    assert_eq!(k, 22);
    write_dir(dir.path(), &chunks[..k - 3], Channel::Udp).unwrap();
    let mut damaged = chunks[k].as_bytes().to_vec();
    damaged[40] ^= 0x10;
    let path = dir.path().join(chunks[k].file_name(Channel::Udp));
    std::fs::File::create(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &damaged))
        .unwrap();

    let report = join_dir(dir.path()).unwrap();
    assert!(report.bundles.is_empty());
    assert_eq!(report.rejected, 1);
    assert_eq!(report.pending.len(), 1);
    let status = &report.pending[0];
    assert_eq!(status.id, BundleId::of(&bundle));
    assert_eq!(status.bundle_len, 4_000);
    assert_eq!(status.chunk_bytes, 200);
    assert_eq!((status.received, status.source_chunks), (k - 3, k));
    assert_eq!(status.more_needed, 3);
    assert_eq!(status.more_with_margin, 5);
}

#[test]
fn any_k_plus_2_chunks_rebuild_amid_duplicates_damage_and_other_bundles() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for trial in 0..20 {
        let len = rng.random_range(1..30_000);
        let bundle = random_bundle(len, 100 + trial);
        let other = random_bundle(len, 200 + trial);
        let chunk_bytes = rng.random_range(40..1_200);
        let mut mine = split(&bundle, Channel::Udp, Some(chunk_bytes), 50).unwrap();
        let theirs = split(&other, Channel::Udp, Some(chunk_bytes), 50).unwrap();
        let k = source_count(&mine);
        mine.shuffle(&mut rng);
        mine.truncate(k + 2);

        let mut arrivals: Vec<Vec<u8>> = Vec::new();
        for chunk in &mine {
            arrivals.push(chunk.as_bytes().to_vec());
            if rng.random_bool(0.3) {
                arrivals.push(chunk.as_bytes().to_vec());
            }
            if rng.random_bool(0.3) {
                let mut bad = chunk.as_bytes().to_vec();
                let at = rng.random_range(0..bad.len());
                bad[at] ^= rng.random_range(1..=255u8);
                arrivals.push(bad);
            }
        }
        arrivals.extend(theirs.iter().take(k / 2).map(|c| c.as_bytes().to_vec()));
        arrivals.shuffle(&mut rng);

        let mut joiner = Joiner::new();
        let mut joined = Vec::new();
        let mut errors = 0;
        for bytes in &arrivals {
            match joiner.push_bytes(bytes) {
                Ok(Pushed::Joined(bundle)) => joined.push(bundle),
                Ok(_) => {}
                Err(_) => errors += 1,
            }
        }
        assert_eq!(joiner.rejected(), errors);
        assert_eq!(joined.len(), 1, "trial {trial}: K = {k}, {len} bytes");
        assert_eq!(joined[0].bytes, bundle);
        assert_eq!(joined[0].id, BundleId::of(&bundle));
        // The other bundle, given only half of K, is pending and says so.
        let pending = joiner.pending();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, BundleId::of(&other));
        let other_k = pending[0].source_chunks;
        assert_eq!(pending[0].more_needed, other_k - pending[0].received);
    }
}

#[test]
fn short_by_m_chunks_reports_m_more_then_rebuilds_with_them() {
    let bundle = random_bundle(64 * 1024, 6);
    let mut chunks = split(&bundle, Channel::Udp, Some(800), 20).unwrap();
    let k = source_count(&chunks);
    chunks.shuffle(&mut ChaCha8Rng::seed_from_u64(7));
    for m in [1, 2, 5, 17] {
        let mut joiner = Joiner::new();
        for chunk in &chunks[..k - m] {
            assert!(matches!(joiner.push(chunk.clone()), Pushed::Added { .. }));
        }
        let status = &joiner.pending()[0];
        assert_eq!(status.more_needed, m);
        assert_eq!(status.more_with_margin, m + 2);
        let mut rebuilt = None;
        for (extra, chunk) in chunks[k - m..].iter().enumerate() {
            if let Pushed::Joined(bundle) = joiner.push(chunk.clone()) {
                assert!(extra < m + 2, "needed {} more, not about {m}", extra + 1);
                rebuilt = Some(bundle.bytes);
                break;
            }
        }
        assert_eq!(rebuilt.as_deref(), Some(&bundle[..]));
        assert!(joiner.pending().is_empty());
        assert_eq!(joiner.push(chunks[0].clone()), Pushed::AlreadyJoined);
    }
}

#[test]
fn every_flipped_byte_of_a_chunk_is_detected() {
    let bundle = random_bundle(1_000, 8);
    let chunks = split(&bundle, Channel::Sms, Some(110), 10).unwrap();
    for chunk in [&chunks[0], &chunks[chunks.len() - 1]] {
        let bytes = chunk.as_bytes();
        for at in 0..bytes.len() {
            for flip in 1..=255u8 {
                let mut bad = bytes.to_vec();
                bad[at] ^= flip;
                assert!(
                    Chunk::from_bytes(&bad).is_err(),
                    "byte {at} ^ {flip:#04x} passed"
                );
            }
        }
    }
}

#[test]
fn truncated_and_extended_chunks_are_rejected() {
    let bundle = random_bundle(10_000, 9);
    for chunk_bytes in [110, 800, 1_200] {
        let chunks = split(&bundle, Channel::Udp, Some(chunk_bytes), 10).unwrap();
        let bytes = chunks[3].as_bytes();
        for len in 0..bytes.len() {
            let error = Chunk::from_bytes(&bytes[..len]).unwrap_err();
            assert!(error.is_damaged_chunk() || matches!(error, ChunkError::Version { .. }));
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(matches!(
            Chunk::from_bytes(&longer),
            Err(ChunkError::Corrupted)
        ));
        // Damage in the text forms is caught as well.
        let sms = chunks[3].to_file_bytes(Channel::Sms).unwrap();
        assert!(parse_file(&sms[..sms.len() - 1]).is_err());
    }
}

#[test]
fn the_header_is_16_bytes_and_says_what_it_should() {
    let bundle = random_bundle(4_096, 10);
    let chunks = split(&bundle, Channel::Sms, Some(110), 10).unwrap();
    let k = source_count(&chunks);
    assert_eq!(k, 4_096usize.div_ceil(110 - HEADER_BYTES));
    assert_eq!(chunks.len(), k + k.div_ceil(10));
    for (n, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.as_bytes().len(), 110);
        assert_eq!(chunk.payload().len(), 110 - HEADER_BYTES);
        assert_eq!(chunk.index() as usize, n);
        assert_eq!(chunk.bundle_len(), 4_096);
        assert_eq!(chunk.bundle_id(), BundleId::of(&bundle));
    }
    // Source chunks carry the bundle's bytes as they are.
    assert_eq!(chunks[1].payload(), &bundle[94..188]);
    // Re-splitting gives the same chunks.
    assert_eq!(split(&bundle, Channel::Sms, Some(110), 10).unwrap(), chunks);
}

#[test]
fn chunks_of_one_bundle_split_at_two_sizes_do_not_mix() {
    let bundle = random_bundle(20_000, 11);
    let small = split(&bundle, Channel::Udp, Some(300), 10).unwrap();
    let large = split(&bundle, Channel::Udp, Some(1_200), 10).unwrap();
    let mut joiner = Joiner::new();
    let k_large = source_count(&large);
    for chunk in small.iter().take(10).chain(&large[..k_large - 1]) {
        assert!(matches!(joiner.push(chunk.clone()), Pushed::Added { .. }));
    }
    assert_eq!(joiner.pending().len(), 2);
    let Pushed::Joined(joined) = joiner.push(large[k_large].clone()) else {
        panic!("K large chunks should rebuild");
    };
    assert_eq!(joined.bytes, bundle);
    assert!(
        joiner.pending().is_empty(),
        "the other size's chunks are no longer needed"
    );
    assert_eq!(joiner.push(small[20].clone()), Pushed::AlreadyJoined);
}

#[test]
fn large_bundles_use_several_interleaved_source_blocks() {
    // 56,403 source symbols per block at most: 60,000 symbols of 16 bytes make two blocks.
    let bundle = random_bundle(60_000 * 16, 12);
    let mut chunks = split(&bundle, Channel::Udp, Some(32), 2).unwrap();
    let k = source_count(&chunks);
    assert_eq!(k, 60_000);
    chunks.shuffle(&mut ChaCha8Rng::seed_from_u64(13));
    // In random order, the interleaved indexes land in both blocks' decoders.
    let mut joiner = Joiner::new();
    for chunk in &chunks[..k - 7] {
        assert!(matches!(joiner.push(chunk.clone()), Pushed::Added { .. }));
    }
    // Each block counts apart: chunks beyond K in one block do not help the
    // other. The estimate is the sum of each block's shortfall (plus one for a
    // block that has K but has yet to solve).
    let per_block = |block: u32| {
        let received = chunks[..k - 7]
            .iter()
            .filter(|c| c.index() % 2 == block)
            .count();
        30_000usize.saturating_sub(received)
    };
    let short = per_block(0) + per_block(1);
    assert!(short >= 7);
    let status = &joiner.pending()[0];
    assert!(
        (short..=short + 2).contains(&status.more_needed),
        "{status:?}, short {short}"
    );
    let mut joined = None;
    for chunk in &chunks[k - 7..] {
        if let Pushed::Joined(bundle) = joiner.push(chunk.clone()) {
            joined = Some(bundle.bytes);
            break;
        }
    }
    assert_eq!(joined.as_deref(), Some(&bundle[..]));
}

#[test]
fn split_refuses_what_it_cannot_do_with_advice() {
    let bundle = random_bundle(100, 14);
    let error = split(&[], Channel::Udp, None, 10).unwrap_err();
    assert!(matches!(error, ChunkError::EmptyBundle));
    let error = split(&bundle, Channel::Sms, Some(121), 10).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a chunk size of 121 bytes does not suit the sms channel; choose from 32 to 120 bytes"
    );
    assert!(split(&bundle, Channel::Qr, Some(2_954), 10).is_err());
    assert!(split(&bundle, Channel::Udp, Some(31), 10).is_err());
    let error = split(&bundle, Channel::Udp, Some(32), 2_000_000_000).unwrap_err();
    assert!(matches!(error, ChunkError::TooManyChunks { .. }));
    // A tiny bundle gets one small source chunk, and extra > 0 always adds a repair chunk.
    let chunks = split(&bundle, Channel::Udp, None, 1).unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0].as_bytes().len(), 100 + HEADER_BYTES);
    assert_eq!(split(&bundle, Channel::Udp, None, 0).unwrap().len(), 1);
}

#[test]
fn channels_parse_from_their_names() {
    for channel in Channel::ALL {
        assert_eq!(channel.name().parse::<Channel>().unwrap(), channel);
        assert!(channel.default_chunk_bytes() <= channel.max_chunk_bytes());
    }
    assert_eq!(" QR ".parse::<Channel>().unwrap(), Channel::Qr);
    assert_eq!(
        "fax".parse::<Channel>().unwrap_err().to_string(),
        "unknown channel \"fax\"; use qr, sms, email or udp"
    );
}

#[test]
fn sms_text_fits_one_gsm7_message() {
    let bundle = random_bundle(2_000, 15);
    for (chunk_bytes, chars) in [(105, 140), (120, 160)] {
        let chunks = split(&bundle, Channel::Sms, Some(chunk_bytes), 10).unwrap();
        for chunk in &chunks {
            let text = String::from_utf8(chunk.to_file_bytes(Channel::Sms).unwrap()).unwrap();
            assert_eq!(text.len(), chars);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
    }
    // A phone that breaks the text into lines does not matter.
    let chunk = &split(&bundle, Channel::Sms, None, 10).unwrap()[0];
    let text = String::from_utf8(chunk.to_file_bytes(Channel::Sms).unwrap()).unwrap();
    let broken = format!("  {}\r\n{}\n", &text[..70], &text[70..]);
    let parsed = parse_file(broken.as_bytes()).unwrap();
    assert_eq!(
        (parsed.form, parsed.chunks),
        (FileForm::Sms, vec![chunk.clone()])
    );
}

#[test]
fn email_blocks_survive_what_mail_clients_do_to_them() {
    let bundle = random_bundle(9_000, 16);
    let chunks = split(&bundle, Channel::Email, None, 10).unwrap();
    let block = String::from_utf8(chunks[0].to_file_bytes(Channel::Email).unwrap()).unwrap();
    assert!(block.lines().all(|line| line.len() <= 76));
    assert!(block.starts_with("-----BEGIN GAVAH CHUNK-----\n"));
    assert!(block.ends_with("-----END GAVAH CHUNK-----\n"));

    // Quoted twice, CRLF, trailing spaces, indented.
    let quoted: String = block
        .lines()
        .map(|line| format!("> >  {line}   \r\n"))
        .collect();
    // Re-wrapped at 60 columns with quoted-printable soft breaks.
    let body: String = block.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut rewrapped = String::from("-----BEGIN GAVAH CHUNK-----\n");
    for piece in body.as_bytes().chunks(60) {
        rewrapped.push_str(std::str::from_utf8(piece).unwrap());
        rewrapped.push_str("=\n");
    }
    rewrapped.push_str("-----END GAVAH CHUNK-----\n");
    for text in [quoted, rewrapped] {
        let letter = format!("Dear friend,\n\nhere is part one.\n\n{text}\nRegards\n");
        let parsed = parse_file(letter.as_bytes()).unwrap();
        assert_eq!(parsed.form, FileForm::Email);
        assert_eq!(parsed.chunks, vec![chunks[0].clone()]);
    }

    // Several blocks in one message, one of them damaged and one cut off.
    let mut letter = String::new();
    for chunk in &chunks[1..4] {
        letter
            .push_str(std::str::from_utf8(&chunk.to_file_bytes(Channel::Email).unwrap()).unwrap());
        letter.push('\n');
    }
    let body_at = letter.find("-----\n").unwrap() + 10;
    let damaged = if &letter[body_at..=body_at] == "A" {
        "B"
    } else {
        "A"
    };
    letter.replace_range(body_at..=body_at, damaged);
    letter.push_str("-----BEGIN GAVAH CHUNK-----\nAAAA\n");
    let parsed = parse_file(letter.as_bytes()).unwrap();
    assert!(parsed.chunks.len() >= 2);
    assert!(parsed.chunks.iter().all(|c| chunks[1..4].contains(c)));
    assert_eq!(parsed.chunks.len() + parsed.rejected.len(), 4);
    assert!(matches!(
        parsed.rejected.last(),
        Some(ChunkError::UnterminatedBlock)
    ));
}

#[test]
fn qr_pngs_decode_back_to_their_chunks_at_every_size() {
    let bundle = random_bundle(6_000, 17);
    for chunk_bytes in [None, Some(110), Some(2_331), Some(2_953)] {
        let chunks = split(&bundle, Channel::Qr, chunk_bytes, 10).unwrap();
        for chunk in [&chunks[0], &chunks[chunks.len() - 1]] {
            let png = chunk.to_file_bytes(Channel::Qr).unwrap();
            assert!(png.starts_with(b"\x89PNG"));
            let parsed = parse_file(&png).unwrap();
            assert_eq!(parsed.form, FileForm::Image);
            assert_eq!(parsed.chunks, vec![chunk.clone()], "{chunk_bytes:?}");
        }
    }
}

/// Re-renders a QR PNG as a camera might see it: scaled, rotated, with uneven
/// light, noise and JPEG compression.
fn photograph(png: &[u8], scale: f64, degrees: f64, seed: u64) -> Vec<u8> {
    let source = image::load_from_memory(png).expect("our PNG").into_luma8();
    let (sw, sh) = (f64::from(source.width()), f64::from(source.height()));
    let side = (sw.max(sh) * scale * 1.3) as u32;
    let (cos, sin) = (degrees.to_radians().cos(), degrees.to_radians().sin());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let photo = image::GrayImage::from_fn(side, side, |x, y| {
        let (dx, dy) = (
            f64::from(x) - f64::from(side) / 2.0,
            f64::from(y) - f64::from(side) / 2.0,
        );
        // Inverse rotation and scaling, then bilinear sampling.
        let u = (cos * dx + sin * dy) / scale + sw / 2.0;
        let v = (-sin * dx + cos * dy) / scale + sh / 2.0;
        let sample = |px: f64, py: f64| -> f64 {
            if px < 0.0 || py < 0.0 || px >= sw || py >= sh {
                255.0
            } else {
                f64::from(source.get_pixel(px as u32, py as u32).0[0])
            }
        };
        let (fu, fv) = (u.floor(), v.floor());
        let (au, av) = (u - fu, v - fv);
        let value = sample(fu, fv) * (1.0 - au) * (1.0 - av)
            + sample(fu + 1.0, fv) * au * (1.0 - av)
            + sample(fu, fv + 1.0) * (1.0 - au) * av
            + sample(fu + 1.0, fv + 1.0) * au * av;
        // Dimmer towards one corner, and sensor noise.
        let light = 0.75 + 0.25 * (f64::from(x) / f64::from(side));
        let noisy = value * light * 0.85 + 20.0 + rng.random_range(-25.0..25.0);
        image::Luma([noisy.clamp(0.0, 255.0) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&photo)
        .expect("JPEG encoding in memory");
    jpeg
}

#[test]
fn a_photographed_qr_code_still_decodes() {
    let bundle = random_bundle(10_000, 18);
    let chunks = split(&bundle, Channel::Qr, None, 10).unwrap();
    let png = chunks[2].to_file_bytes(Channel::Qr).unwrap();
    for (scale, degrees, seed) in [
        (0.7, 6.0, 1),
        (1.3, -11.0, 2),
        (0.55, 3.0, 3),
        (1.0, 45.0, 4),
    ] {
        let jpeg = photograph(&png, scale, degrees, seed);
        let parsed = parse_file(&jpeg).unwrap_or_else(|e| panic!("scale {scale}, {degrees}°: {e}"));
        assert_eq!(parsed.chunks, vec![chunks[2].clone()]);
    }
}

#[test]
fn a_photo_of_several_qr_codes_yields_each_chunk() {
    let bundle = random_bundle(2_000, 20);
    let chunks = split(&bundle, Channel::Qr, Some(200), 10).unwrap();
    let codes: Vec<image::GrayImage> = chunks[..3]
        .iter()
        .map(|c| {
            image::load_from_memory(&c.to_file_bytes(Channel::Qr).unwrap())
                .unwrap()
                .into_luma8()
        })
        .collect();
    let (w, h) = (codes[0].width(), codes[0].height());
    let mut sheet = image::GrayImage::from_pixel(w * 3, h, image::Luma([255]));
    for (n, code) in codes.iter().enumerate() {
        image::imageops::replace(&mut sheet, code, i64::from(w) * n as i64, 0);
    }
    let mut png = Vec::new();
    sheet
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let mut found = parse_file(&png).unwrap().chunks;
    found.sort_by_key(Chunk::index);
    assert_eq!(found, chunks[..3].to_vec());
}

#[test]
fn an_image_without_a_qr_code_is_skipped_not_fatal() {
    let blank = image::GrayImage::from_pixel(200, 100, image::Luma([200]));
    let mut png = Vec::new();
    blank
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(matches!(parse_file(&png), Err(ChunkError::NoQrCode)));
    assert!(matches!(
        parse_file(&png[..30]),
        Err(ChunkError::Image { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random sizes and random loss: whatever arrives rebuilds the bundle once
    /// K + 2 distinct chunks are in, and before that the joiner's estimate is exact.
    #[test]
    fn random_loss_rebuilds_from_k_plus_2(
        len in 1usize..40_000,
        chunk_bytes in 32usize..1_500,
        keep in 0.5f64..1.0,
        seed in any::<u64>(),
    ) {
        let bundle = random_bundle(len, seed);
        let chunks = split(&bundle, Channel::Udp, Some(chunk_bytes), 60).unwrap();
        let k = source_count(&chunks);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 1);
        let mut arrived: Vec<&Chunk> = chunks.iter().filter(|_| rng.random_bool(keep)).collect();
        arrived.shuffle(&mut rng);
        let mut joiner = Joiner::new();
        let mut distinct = HashSet::new();
        let mut joined = None;
        for chunk in arrived {
            distinct.insert(chunk.index());
            match joiner.push(chunk.clone()) {
                Pushed::Joined(bundle) => { joined = Some(bundle); break; }
                Pushed::Added { more_needed, .. } => {
                    prop_assert_eq!(more_needed, k.saturating_sub(distinct.len()).max(1));
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        if distinct.len() >= k + 2 {
            let joined = joined.expect("K + 2 chunks must rebuild");
            prop_assert_eq!(joined.bytes, bundle);
            prop_assert!(joined.chunks_used <= k + 2);
        } else if let Some(joined) = joined {
            prop_assert_eq!(joined.bytes, bundle);
        }
    }

    #[test]
    fn parsers_never_panic_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        chunk::fuzz::check(&data);
    }

    #[test]
    fn parsers_never_panic_on_text(text in "(-----BEGIN GAVAH CHUNK-----|-----END GAVAH CHUNK-----|[A-Za-z0-9_=> \r\n-]{0,80}){0,6}") {
        chunk::fuzz::check(text.as_bytes());
    }

    #[test]
    fn damaged_chunks_in_any_form_never_pass_as_other_chunks(
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        channel in prop::sample::select(vec![Channel::Sms, Channel::Email, Channel::Udp]),
    ) {
        let bundle = random_bundle(3_000, 19);
        let chunks = split(&bundle, channel, Some(110), 10).unwrap();
        let mut file = chunks[5].to_file_bytes(channel).unwrap();
        let at = at.index(file.len());
        file[at] ^= flip;
        chunk::fuzz::check(&file);
        if let Ok(parsed) = parse_file(&file) {
            // Only a change the text form ignores (whitespace, quoting) may pass.
            prop_assert_eq!(parsed.chunks, vec![chunks[5].clone()]);
        }
    }
}
