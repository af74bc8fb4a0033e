//! Injected faults beyond error answers: slow answers and connections closed without an answer
//! (before or after the call took effect), as real networks do to a bot.
//!
//! Dropping needs the connection itself: the server accepts through [`FaultListener`], whose
//! streams carry a kill switch that handlers reach through `ConnectInfo<ConnHandle>`. A killed
//! stream fails every read and write, so hyper closes the socket and no byte of an answer
//! leaves.

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A fault queued for the next calls to a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer only after this long (the call takes effect after the wait).
    Delay(Duration),
    /// Close the connection without answering; the call does not take effect.
    Drop,
    /// Let the call take effect, then close the connection without answering (the bot cannot
    /// know it worked).
    DropAfter,
}

/// A connection's kill switch.
#[derive(Debug, Default)]
pub(crate) struct Kill {
    killed: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl Kill {
    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        if let Some(w) = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take() {
            w.wake();
        }
    }
}

fn dropped() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "connection dropped by the fake on purpose")
}

/// A TCP stream that fails once killed.
#[derive(Debug)]
pub(crate) struct KillableStream {
    inner: TcpStream,
    kill: Arc<Kill>,
}

impl AsyncRead for KillableStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.kill.is_killed() {
            return Poll::Ready(Err(dropped()));
        }
        *this.kill.reader.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.kill.is_killed() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.kill.is_killed() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Accepts TCP connections as [`KillableStream`]s.
pub(crate) struct FaultListener(pub TcpListener);

impl axum::serve::Listener for FaultListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        KillableStream {
                            inner: stream,
                            kill: Arc::default(),
                        },
                        addr,
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "fake Telegram: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// What a handler gets to drop its own connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle(pub Arc<Kill>);

impl Connected<IncomingStream<'_, FaultListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, FaultListener>) -> Self {
        ConnHandle(stream.io().kill.clone())
    }
}
