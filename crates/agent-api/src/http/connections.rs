//! A bound on concurrent connections (`http.max_connections`), so that a client opening
//! connections without end (or a flood of long waits) cannot exhaust the process's file
//! descriptors and memory: past the bound, new connections stay in the kernel's accept queue
//! until one closes, instead of being accepted and starving everyone. Requests on connections
//! already open are served as usual; `mc_http_connections` counts the open ones.

use axum::serve::Listener;
use prometheus::IntGauge;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How often, at most, the log says the bound is reached.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// A TCP listener that holds at most `max` connections open at once.
pub struct Bounded {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    max: usize,
    gauge: IntGauge,
    warned: Option<Instant>,
}

impl Bounded {
    pub fn new(inner: TcpListener, max: usize, gauge: IntGauge) -> Self {
        Bounded {
            inner,
            permits: Arc::new(Semaphore::new(max)),
            max,
            gauge,
            warned: None,
        }
    }
}

impl Listener for Bounded {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                    self.warned = Some(Instant::now());
                    tracing::warn!(
                        max = self.max,
                        "http.max_connections connections are open: new ones wait until one closes"
                    );
                }
                self.permits.clone().acquire_owned().await.expect("the semaphore is never closed")
            }
        };
        let (io, addr) = Listener::accept(&mut self.inner).await;
        self.gauge.inc();
        let counted = Counted {
            io,
            _permit: permit,
            gauge: self.gauge.clone(),
        };
        (counted, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An accepted connection, holding its place until it closes.
pub struct Counted {
    io: TcpStream,
    _permit: OwnedSemaphorePermit,
    gauge: IntGauge,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
