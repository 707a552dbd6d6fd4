//! Compares the size and every field offset of the #[repr(C)] structs with
//! what the C compiler reports for the installed header.
//!
//! The header is found with `pkg-config --variable=includedir embedding`
//! (or EMBEDDING_INCLUDE_DIR) and compiled with `cc` (or the program in CC).

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::process::Command;

use embedding_sys::{emb_error, emb_load_options, emb_model_options};

macro_rules! offset_of {
    ($type:ty, $field:ident) => {{
        let value = MaybeUninit::<$type>::uninit();
        let base = value.as_ptr();
        // SAFETY: addr_of! computes the field address without reading it.
        let field = unsafe { std::ptr::addr_of!((*base).$field) };
        field as usize - base as usize
    }};
}

macro_rules! layout {
    ($map:ident, $type:ident, [$($field:ident),*]) => {
        $map.insert(stringify!($type).to_string(), std::mem::size_of::<$type>());
        $(
            $map.insert(
                format!("{}.{}", stringify!($type), stringify!($field)),
                offset_of!($type, $field),
            );
        )*
    };
}

macro_rules! c_lines {
    ($lines:ident, $type:ident, [$($field:ident),*]) => {
        $lines.push(format!(
            "printf(\"{0} %zu\\n\", sizeof({0}));", stringify!($type)));
        $(
            $lines.push(format!(
                "printf(\"{0}.{1} %zu\\n\", offsetof({0}, {1}));",
                stringify!($type), stringify!($field)));
        )*
    };
}

macro_rules! all_structs {
    ($macro:ident, $target:ident) => {
        $macro!(
            $target,
            emb_error,
            [
                struct_size,
                status,
                fields,
                os_error,
                index,
                batch_index,
                seq_index,
                value,
                range_begin,
                range_end,
                message
            ]
        );
        $macro!(
            $target,
            emb_model_options,
            [
                struct_size,
                init,
                vocab_size,
                dim,
                context_length,
                seed,
                mean,
                stddev,
                token_data,
                position_data,
                token_type_data,
                storage_dtype,
                position_kind,
                sinusoid_base,
                sinusoid_layout,
                has_padding_id,
                padding_id,
                has_scale,
                scale,
                token_type_count,
                num_threads,
                kernel
            ]
        );
        $macro!(
            $target,
            emb_load_options,
            [
                struct_size,
                mode,
                token_tensor,
                position_tensor,
                no_position_tensor,
                num_threads,
                kernel
            ]
        );
    };
}

fn include_dir() -> String {
    if let Ok(dir) = env::var("EMBEDDING_INCLUDE_DIR") {
        return dir;
    }
    let output = Command::new("pkg-config")
        .args(["--variable=includedir", "embedding"])
        .output()
        .expect("cannot run pkg-config");
    assert!(
        output.status.success(),
        "pkg-config does not find embedding: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn c_layout() -> BTreeMap<String, usize> {
    let mut lines: Vec<String> = Vec::new();
    all_structs!(c_lines, lines);
    let source = format!(
        "#include <stddef.h>\n#include <stdio.h>\n#include <embedding/embedding.h>\n\
         int main(void)\n{{\n{}\nreturn 0;\n}}\n",
        lines.join("\n")
    );

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("layout");
    fs::create_dir_all(&dir).unwrap();
    let c_file = dir.join("layout.c");
    let program = dir.join("layout");
    fs::write(&c_file, source).unwrap();

    let compiler = env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&compiler)
        .arg(format!("-I{}", include_dir()))
        .arg(&c_file)
        .arg("-o")
        .arg(&program)
        .status()
        .unwrap_or_else(|err| panic!("cannot run {}: {}", compiler, err));
    assert!(
        status.success(),
        "{} failed on {}",
        compiler,
        c_file.display()
    );

    let output = Command::new(&program).output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once(' ').unwrap();
            (name.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn struct_layouts_match_c_header() {
    let mut rust = BTreeMap::new();
    all_structs!(layout, rust);
    let c = c_layout();
    assert_eq!(rust.len(), c.len());
    for (name, c_value) in &c {
        assert_eq!(rust.get(name), Some(c_value), "size or offset of {}", name);
    }
}

#[test]
fn linked_library_has_abi_version_1() {
    // SAFETY: emb_abi_version takes no arguments and has no preconditions.
    let abi = unsafe { embedding_sys::emb_abi_version() };
    assert_eq!(abi, embedding_sys::EMB_ABI_VERSION);
}
