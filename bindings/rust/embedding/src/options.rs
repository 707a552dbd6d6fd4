//! Option builders for model creation and safetensors loading, and the
//! enums they use.

use embedding_sys as sys;

/// Position encoding of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PositionKind {
    /// A learned `[context_length, dim]` table (GPT-2, GPT-3).
    Learned,
    /// The fixed sinusoidal table of "Attention Is All You Need".
    Sinusoidal,
    /// No position table; `context_length` must be 0 and `start` is ignored.
    None,
}

impl PositionKind {
    pub(crate) fn raw(self) -> i32 {
        match self {
            PositionKind::Learned => sys::EMB_POSITION_LEARNED,
            PositionKind::Sinusoidal => sys::EMB_POSITION_SINUSOIDAL,
            PositionKind::None => sys::EMB_POSITION_NONE,
        }
    }

    pub(crate) fn from_raw(raw: i32) -> Option<PositionKind> {
        match raw {
            sys::EMB_POSITION_LEARNED => Some(PositionKind::Learned),
            sys::EMB_POSITION_SINUSOIDAL => Some(PositionKind::Sinusoidal),
            sys::EMB_POSITION_NONE => Some(PositionKind::None),
            _ => None,
        }
    }
}

/// Column layout of the sinusoidal table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SinusoidLayout {
    /// sin, cos, sin, cos, ...
    Interleaved,
    /// All sines first, then all cosines.
    Split,
}

/// Forward kernel. Every kernel gives bit-identical results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// The fastest measured on this CPU.
    Auto,
    /// Plain C loop, the test oracle.
    Reference,
    /// OpenBLAS copy, scale and axpy calls.
    Blas,
    /// One pass with SIMD chosen at run time.
    Fused,
}

impl Kernel {
    pub(crate) fn raw(self) -> i32 {
        match self {
            Kernel::Auto => sys::EMB_KERNEL_AUTO,
            Kernel::Reference => sys::EMB_KERNEL_REFERENCE,
            Kernel::Blas => sys::EMB_KERNEL_BLAS,
            Kernel::Fused => sys::EMB_KERNEL_FUSED,
        }
    }
}

/// Table selector of [`crate::Model::table`] and the row functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    /// `[vocab_size, dim]`.
    Token,
    /// `[context_length, dim]`.
    Position,
    /// `[token_type_count, dim]`.
    TokenType,
}

impl Table {
    pub(crate) fn raw(self) -> i32 {
        match self {
            Table::Token => sys::EMB_TABLE_TOKEN,
            Table::Position => sys::EMB_TABLE_POSITION,
            Table::TokenType => sys::EMB_TABLE_TOKEN_TYPE,
        }
    }
}

/// Shapes and settings of a new model, with the C defaults.
///
/// ```no_run
/// use embedding::{Kernel, ModelOptions};
/// let options = ModelOptions::new(50257, 768, 1024)
///     .scale(768f32.sqrt())
///     .kernel(Kernel::Fused);
/// ```
#[derive(Clone, Copy)]
pub struct ModelOptions {
    pub(crate) raw: sys::emb_model_options,
}

impl ModelOptions {
    /// Options for a token table of `vocab_size` rows, tables of `dim`
    /// columns and a learned position table of `context_length` rows (use
    /// 0 with [`PositionKind::None`]).
    pub fn new(vocab_size: i64, dim: i64, context_length: i64) -> ModelOptions {
        // SAFETY: the struct contains integers, floats and pointers, for which
        // zero is valid; emb_model_options_init then sets every default.
        let mut raw: sys::emb_model_options = unsafe { std::mem::zeroed() };
        unsafe { sys::emb_model_options_init(&mut raw) };
        raw.vocab_size = vocab_size;
        raw.dim = dim;
        raw.context_length = context_length;
        ModelOptions { raw }
    }

    /// Sets how positions enter the embedding (default learned).
    pub fn position_kind(mut self, kind: PositionKind) -> ModelOptions {
        self.raw.position_kind = kind.raw();
        self
    }

    /// Sets the base (default 10000) and column layout of a sinusoidal table.
    pub fn sinusoid(mut self, base: f64, layout: SinusoidLayout) -> ModelOptions {
        self.raw.sinusoid_base = base;
        self.raw.sinusoid_layout = match layout {
            SinusoidLayout::Interleaved => sys::EMB_SINUSOID_INTERLEAVED,
            SinusoidLayout::Split => sys::EMB_SINUSOID_SPLIT,
        };
        self
    }

    /// Sets a padding token id, whose row generated tables keep at zero.
    pub fn padding_id(mut self, id: i64) -> ModelOptions {
        self.raw.has_padding_id = 1;
        self.raw.padding_id = id;
        self
    }

    /// Sets a factor multiplied into token rows, e.g. `sqrt(dim)`.
    pub fn scale(mut self, scale: f32) -> ModelOptions {
        self.raw.has_scale = 1;
        self.raw.scale = scale;
        self
    }

    /// Adds a token-type (segment) table of `count` rows (default 0: none).
    pub fn token_types(mut self, count: i64) -> ModelOptions {
        self.raw.token_type_count = count;
        self
    }

    /// Sets the worker threads of large forward calls (0 = online CPUs).
    pub fn num_threads(mut self, threads: i32) -> ModelOptions {
        self.raw.num_threads = threads;
        self
    }

    /// Selects the forward kernel (default [`Kernel::Auto`]).
    pub fn kernel(mut self, kernel: Kernel) -> ModelOptions {
        self.raw.kernel = kernel.raw();
        self
    }

    pub(crate) fn vocab_size(&self) -> i64 {
        self.raw.vocab_size
    }

    pub(crate) fn dim(&self) -> i64 {
        self.raw.dim
    }

    pub(crate) fn context_length(&self) -> i64 {
        self.raw.context_length
    }

    pub(crate) fn token_type_count(&self) -> i64 {
        self.raw.token_type_count
    }

    pub(crate) fn is_learned(&self) -> bool {
        self.raw.position_kind == sys::EMB_POSITION_LEARNED
    }
}

/// Placement of tensor data by [`crate::Model::load`]: copied or memory-mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadMode {
    /// Read every table into owned memory.
    Copy,
    /// Map the file read-only and use aligned F32 tensors in place. The
    /// file must not be modified or truncated while the model exists.
    Mmap,
}

/// Options of [`crate::Model::load`].
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Copy (default) or memory-map the file.
    pub mode: LoadMode,
    /// Token tensor name; `None` tries "wte.weight", then
    /// "transformer.wte.weight".
    pub token_tensor: Option<String>,
    /// Position tensor name; `None` tries "wpe.weight", then
    /// "transformer.wpe.weight".
    pub position_tensor: Option<String>,
    /// The file has no position tensor: the model gets
    /// [`PositionKind::None`].
    pub no_position_tensor: bool,
    /// Worker threads of large forward calls (0 = online CPUs).
    pub num_threads: i32,
    /// Forward kernel.
    pub kernel: Kernel,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            mode: LoadMode::Copy,
            token_tensor: None,
            position_tensor: None,
            no_position_tensor: false,
            num_threads: 0,
            kernel: Kernel::Auto,
        }
    }
}
