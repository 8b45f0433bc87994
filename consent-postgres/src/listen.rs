//! [`Listener`]: a wake-up after each commit, through `LISTEN`/`NOTIFY`.

use std::time::Duration;

use consent_core::{Error, ErrorCode, Result};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client};

use crate::conn::{Drive, channel, connect_client, db_error};
use crate::url::LedgerUrl;

/// Woken after each write that appended records commits, anywhere. A hint to read the log
/// sooner, never a replacement for reading it by sequence number: notifications sent while the
/// listener was not connected are lost. Not thread-safe; serialise access (`&mut self`).
pub struct Listener {
    // Field order: the client closes before the runtime that drives its connection goes.
    client: Client,
    messages: mpsc::UnboundedReceiver<std::result::Result<String, String>>,
    url: LedgerUrl,
    rt: Runtime,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("url", &self.url.redacted)
            .field("closed", &self.client.is_closed())
            .finish_non_exhaustive()
    }
}

/// Drives a listening connection on the runtime, passing its notifications (and its end, as an
/// error scrubbed of the password) to `sender`.
struct Notifications {
    sender: mpsc::UnboundedSender<std::result::Result<String, String>>,
    scrub: LedgerUrl,
}

impl Drive for Notifications {
    fn drive<S, T>(self, mut connection: tokio_postgres::Connection<S, T>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Notifications { sender, scrub } = self;
        tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if sender.send(Ok(n.payload().to_owned())).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        let _ = sender.send(Err(scrub.scrub(&e.to_string())));
                        return;
                    }
                    None => {
                        let _ = sender.send(Err("the connection closed".to_owned()));
                        return;
                    }
                }
            }
        });
    }
}

impl Listener {
    pub(crate) fn connect(url: &LedgerUrl) -> Result<Listener> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorCode::Storage,
                    format!("cannot start the database client's runtime: {e}"),
                )
            })?;
        let context = format!("cannot listen on the ledger database `{}`", url.redacted);
        let (sender, messages) = mpsc::unbounded_channel();
        let client = rt.block_on(async {
            let client = connect_client(
                url,
                &context,
                Notifications {
                    sender,
                    scrub: url.clone(),
                },
            )
            .await?;
            client
                .batch_execute(&format!("LISTEN \"{}\"", channel(url)))
                .await
                .map_err(|e| db_error(url, &context, &e))?;
            Ok::<_, Error>(client)
        })?;
        Ok(Listener {
            client,
            messages,
            url: url.clone(),
            rt,
        })
    }

    /// Waits up to `timeout` for a commit. Returns the highest sequence number the
    /// notifications that arrived name (all of them are taken), or `None` when none came.
    ///
    /// # Errors
    /// `Storage` when the connection dropped: make a new listener, and read the log meanwhile.
    pub fn wait(&mut self, timeout: Duration) -> Result<Option<u64>> {
        let first = self
            .rt
            .block_on(async { tokio::time::timeout(timeout, self.messages.recv()).await });
        let mut newest: Option<u64> = None;
        let mut take = |message: Option<std::result::Result<String, String>>| match message {
            Some(Ok(payload)) => {
                // A payload that is not a number still means "something committed".
                let seq = payload.parse::<u64>().unwrap_or(0);
                newest = Some(newest.map_or(seq, |n| n.max(seq)));
                Ok(())
            }
            Some(Err(cause)) => Err(Error::new(
                ErrorCode::Storage,
                format!("the ledger listener's connection failed: {cause}"),
            )),
            None => Err(Error::new(
                ErrorCode::Storage,
                "the ledger listener's connection closed",
            )),
        };
        match first {
            Err(_elapsed) => return Ok(None),
            Ok(message) => take(message)?,
        }
        while let Ok(message) = self.messages.try_recv() {
            take(Some(message))?;
        }
        Ok(newest)
    }
}
