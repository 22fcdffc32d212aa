//! Group commit: one thread owns the store; concurrent batches queued while it syncs are
//! written as one frame with one `fdatasync`, and each sender is answered only after that.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kubepci_checkpoint::{NoteSigner, SignedCheckpoint};
use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::store::{BatchOutcome, IncomingBatch, Store};

/// Told about every group commit (for metrics). Called on the writer thread: keep it quick.
pub trait CommitObserver: Send + Sync + std::fmt::Debug {
    /// A group became durable: its events, body bytes, the `fdatasync` time and the outcome of
    /// each batch.
    fn committed(&self, events: usize, bytes: usize, fsync: Duration, outcomes: &[BatchOutcome]);
    /// A group failed (nothing of it was kept).
    fn failed(&self, events: usize);
}

/// Writer settings.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Sign a checkpoint at least this often while entries arrive.
    pub checkpoint_interval: Duration,
    /// Sign a checkpoint once this many entries are unsigned.
    pub checkpoint_entries: u64,
    /// Most events in one group commit.
    pub max_group_events: usize,
    /// Most body bytes in one group commit.
    pub max_group_bytes: usize,
    /// Batches that may wait for the writer; beyond it submitters get [`StoreError::Busy`].
    pub queue_batches: usize,
    /// Told about every group commit.
    pub observer: Option<std::sync::Arc<dyn CommitObserver>>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            checkpoint_interval: Duration::from_secs(10),
            checkpoint_entries: 100_000,
            max_group_events: 50_000,
            max_group_bytes: 64 * 1024 * 1024,
            queue_batches: 256,
            observer: None,
        }
    }
}

/// The answer to a submitted batch.
pub type Reply = oneshot::Receiver<Result<BatchOutcome, StoreError>>;

enum Msg {
    Batch(
        IncomingBatch,
        oneshot::Sender<Result<BatchOutcome, StoreError>>,
    ),
    Checkpoint(oneshot::Sender<Result<Option<SignedCheckpoint>, StoreError>>),
    Shutdown,
}

/// A handle to submit batches to the writer thread. Cloning is cheap.
#[derive(Clone)]
pub struct Appender {
    tx: SyncSender<Msg>,
    compression_level: i32,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender").finish_non_exhaustive()
    }
}

/// The running writer: join it with [`Writer::shutdown`] to sign a final checkpoint.
pub struct Writer {
    handle: JoinHandle<Result<Store, StoreError>>,
    tx: SyncSender<Msg>,
}

impl Appender {
    /// The store's zstd level, for [`IncomingBatch::precompress`].
    pub fn compression_level(&self) -> i32 {
        self.compression_level
    }

    /// Queues a batch without blocking; fails with [`StoreError::Busy`] when the queue is full.
    pub fn submit(&self, batch: IncomingBatch) -> Result<Reply, StoreError> {
        let (tx, rx) = oneshot::channel();
        match self.tx.try_send(Msg::Batch(batch, tx)) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(StoreError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(StoreError::WriterGone),
        }
    }

    /// Queues a batch, waiting for room, and waits for the outcome (for non-async callers).
    pub fn append_blocking(&self, batch: IncomingBatch) -> Result<BatchOutcome, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Batch(batch, tx))
            .map_err(|_| StoreError::WriterGone)?;
        rx.blocking_recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Asks for a checkpoint now (for non-async callers).
    pub fn checkpoint_blocking(&self) -> Result<Option<SignedCheckpoint>, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Checkpoint(tx))
            .map_err(|_| StoreError::WriterGone)?;
        rx.blocking_recv().map_err(|_| StoreError::WriterGone)?
    }
}

/// Copies an error for every batch of a failed group.
fn replicate(err: &StoreError) -> StoreError {
    match err {
        StoreError::Io { op, path, source } => StoreError::Io {
            op,
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        StoreError::Full => StoreError::Full,
        StoreError::Poisoned => StoreError::Poisoned,
        other => StoreError::Damaged(other.to_string()),
    }
}

/// Starts the writer thread. All appenders must be dropped for [`Writer::shutdown`] to return.
pub fn spawn_writer(
    mut store: Store,
    signer: NoteSigner,
    cfg: WriterConfig,
) -> Result<(Appender, Writer), StoreError> {
    let (tx, rx) = sync_channel(cfg.queue_batches.max(1));
    let compression_level = store.compression_level();
    let handle = std::thread::Builder::new()
        .name("auditlog-writer".into())
        .spawn(move || {
            run(&mut store, &signer, &cfg, &rx);
            // Final checkpoint at shutdown.
            match store.checkpoint(&signer) {
                Ok(Some(cp)) => {
                    tracing::info!(size = cp.checkpoint.size, "final checkpoint signed")
                }
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "failed to sign the final checkpoint"),
            }
            Ok(store)
        })
        .map_err(|e| StoreError::io("spawn writer thread", "auditlog-writer", e))?;
    Ok((
        Appender {
            tx: tx.clone(),
            compression_level,
        },
        Writer { handle, tx },
    ))
}

impl Writer {
    /// Commits what is already queued, signs the final checkpoint and returns the store.
    /// Batches submitted afterwards get [`StoreError::WriterGone`].
    pub fn shutdown(self) -> Result<Store, StoreError> {
        let _ = self.tx.send(Msg::Shutdown);
        drop(self.tx);
        self.handle.join().map_err(|_| StoreError::WriterGone)?
    }
}

fn run(store: &mut Store, signer: &NoteSigner, cfg: &WriterConfig, rx: &Receiver<Msg>) {
    let mut last_checkpoint = Instant::now();
    loop {
        let wait = cfg
            .checkpoint_interval
            .saturating_sub(last_checkpoint.elapsed())
            .max(Duration::from_millis(1));
        let msg = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => {
                maybe_checkpoint(store, signer, cfg, &mut last_checkpoint, true);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        match msg {
            Msg::Shutdown => {
                // Commit what was queued before the shutdown request, then stop.
                let mut queued = Vec::new();
                while let Ok(m) = rx.try_recv() {
                    if let Msg::Batch(b, r) = m {
                        queued.push((b, r));
                    }
                }
                if !queued.is_empty() {
                    commit(store, queued, cfg.observer.as_deref());
                }
                return;
            }
            Msg::Checkpoint(reply) => {
                if !reply.is_closed() {
                    let result = store.checkpoint(signer);
                    if result.is_ok() {
                        last_checkpoint = Instant::now();
                    }
                    let _ = reply.send(result);
                }
            }
            Msg::Batch(batch, reply) => {
                let mut events = batch.events.len();
                let mut bytes = batch.body.len();
                let mut group = vec![(batch, reply)];
                let mut checkpoint_requests = Vec::new();
                while events < cfg.max_group_events && bytes < cfg.max_group_bytes {
                    match rx.try_recv() {
                        Ok(Msg::Batch(b, r)) => {
                            events += b.events.len();
                            bytes += b.body.len();
                            group.push((b, r));
                        }
                        Ok(Msg::Checkpoint(r)) => checkpoint_requests.push(r),
                        Ok(Msg::Shutdown) => {
                            commit(store, group, cfg.observer.as_deref());
                            for reply in checkpoint_requests {
                                let _ = reply.send(store.checkpoint(signer));
                            }
                            return;
                        }
                        Err(_) => break,
                    }
                }
                commit(store, group, cfg.observer.as_deref());
                for reply in checkpoint_requests {
                    let _ = reply.send(store.checkpoint(signer));
                    last_checkpoint = Instant::now();
                }
                maybe_checkpoint(store, signer, cfg, &mut last_checkpoint, false);
            }
        }
    }
}

fn maybe_checkpoint(
    store: &mut Store,
    signer: &NoteSigner,
    cfg: &WriterConfig,
    last: &mut Instant,
    timer: bool,
) {
    let unsigned = store.unsigned_entries();
    let due = unsigned >= cfg.checkpoint_entries
        || (unsigned > 0 && (timer || last.elapsed() >= cfg.checkpoint_interval));
    if !due {
        if timer {
            *last = Instant::now();
        }
        return;
    }
    match store.checkpoint(signer) {
        Ok(Some(cp)) => {
            tracing::debug!(size = cp.checkpoint.size, "checkpoint signed");
        }
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "failed to sign a checkpoint"),
    }
    *last = Instant::now();
}

type Pending = (
    IncomingBatch,
    oneshot::Sender<Result<BatchOutcome, StoreError>>,
);

/// Commits a group and answers each of its senders.
fn commit(store: &mut Store, group: Vec<Pending>, observer: Option<&dyn CommitObserver>) {
    let (batches, replies): (Vec<IncomingBatch>, Vec<_>) = group.into_iter().unzip();
    let events: usize = batches.iter().map(|b| b.events.len()).sum();
    match store.append_group(&batches) {
        Ok(outcomes) => {
            if let Some(o) = observer {
                let bytes: usize = batches
                    .iter()
                    .map(|b| b.events.iter().map(|e| e.range.len()).sum::<usize>())
                    .sum();
                o.committed(events, bytes, store.last_fsync(), &outcomes);
            }
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(error) => {
            if let Some(o) = observer {
                o.failed(events);
            }
            tracing::error!(%error, batches = batches.len(), events, "group commit failed");
            for reply in replies {
                let _ = reply.send(Err(replicate(&error)));
            }
        }
    }
}
