//! The exported capture opens in tshark (Debian's `tshark`, installed by `cargo xtask test`),
//! which decrypts the SMTP sent under TLS with the exported NSS key log.
#![cfg(feature = "engine")]

use std::process::Command;

use starttls_sim::{Engine, clock::DEFAULT_NOW_UNIX, export, scenario};

fn tshark(pcap: &std::path::Path, keylog: Option<&std::path::Path>) -> String {
    let mut cmd = Command::new("tshark");
    // The summary lines, e.g. "… SMTP 65 C: EHLO client.example.org", decrypted SMTP included.
    cmd.arg("-r").arg(pcap).args(["-Y", "smtp.req"]);
    if let Some(k) = keylog {
        cmd.arg("-o")
            .arg(format!("tls.keylog_file:{}", k.display()));
    }
    let out = cmd.output().expect(
        "tshark must be installed for this test: run `cargo xtask setup` (Debian package tshark)",
    );
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tshark_decrypts_the_smtp_sent_under_tls_with_the_key_log() {
    let trace = Engine::simulate(&scenario::find("happy-path").unwrap()).unwrap();
    assert!(
        trace
            .key_log
            .iter()
            .any(|l| l.starts_with("CLIENT_TRAFFIC_SECRET_0 ")),
        "{:?}",
        trace.key_log
    );
    // PCAP_KEEP_DIR names a folder to write the capture and key log into and keep them, for a
    // look in Wireshark; without it, they go into a temporary folder that a passing run removes.
    let keep = std::env::var_os("PCAP_KEEP_DIR").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("starttls-pcap-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("happy-path.pcapng");
    let keys = dir.join(export::KEY_LOG_NAME);
    std::fs::write(&pcap, export::pcapng(&trace, DEFAULT_NOW_UNIX).unwrap()).unwrap();
    std::fs::write(&keys, export::key_log(&trace)).unwrap();

    let clear = tshark(&pcap, None);
    assert!(clear.contains("C: EHLO client.example.org"), "{clear}");
    assert!(clear.contains("C: STARTTLS"), "{clear}");
    assert!(
        !clear.contains("MAIL FROM"),
        "without the keys, MAIL is encrypted: {clear}"
    );

    let decrypted = tshark(&pcap, Some(&keys));
    assert!(
        decrypted.contains("C: MAIL FROM:<alice@example.org> | RCPT TO:<bob@example.test> | DATA"),
        "{decrypted}"
    );
    assert!(decrypted.contains("C: QUIT"), "{decrypted}");
    let ehlos = decrypted
        .lines()
        .filter(|l| l.contains("C: EHLO client.example.org"))
        .count();
    assert_eq!(
        ehlos, 2,
        "the EHLO in the clear and the one under TLS: {decrypted}"
    );
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
}
