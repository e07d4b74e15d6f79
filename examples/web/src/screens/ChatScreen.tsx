// The coach chat: conversations, a conversation's messages paged newest first, optimistic
// sending, the reply as it arrives, and retry on a failed message.
import { insertAtTop, useMutation, usePaginatedQuery, useQuery } from "convex/react";
import { useState, type FormEvent } from "react";
import { api, type ConversationView, type Id, type MessageView, type UserView } from "../convex";
import { adviseOn } from "../errors";

/** Which coaching phase a new conversation is in, from where the user is. */
function phaseFor(user: UserView): ConversationView["phase"] {
  if (user.currentPhase === "onboarding" || user.currentPhase === "mirror") return "mirror";
  if (user.currentPhase === "birth_chart") return "discovery";
  return "walk";
}

export function ChatScreen({ user }: { user: UserView }) {
  // A single page of the newest conversations is enough for a picker.
  const conversations = useQuery(api.conversations.list, { paginationOpts: { numItems: 10, cursor: null } });
  const start = useMutation(api.conversations.start);
  const [chosen, setChosen] = useState<Id<"conversations"> | null>(null);
  const [error, setError] = useState<unknown>(null);

  if (conversations === undefined) return <p>Loading…</p>;
  const open = chosen ?? conversations.page.find((c) => c.status === "active")?._id ?? null;

  const startNew = async () => {
    setError(null);
    try {
      setChosen(await start({ phase: phaseFor(user) }));
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="chat">
      <aside>
        <button type="button" onClick={() => void startNew()}>
          New conversation
        </button>
        {error !== null && <p className="error">{adviseOn(error).text}</p>}
        <ul>
          {conversations.page.map((c) => (
            <li key={c._id}>
              <button type="button" aria-pressed={c._id === open} onClick={() => setChosen(c._id)}>
                {c.title ?? `${c.phase} · ${new Date(c.startedAt).toLocaleDateString()}`} ({c.status})
              </button>
            </li>
          ))}
        </ul>
      </aside>
      {open === null ? <p>Start a conversation with TARS.</p> : <Conversation key={open} conversationId={open} />}
    </section>
  );
}

const PAGE_SIZE = 20;

function Conversation({ conversationId }: { conversationId: Id<"conversations"> }) {
  const conversation = useQuery(api.conversations.get, { conversationId });
  // messages.list is NEWEST FIRST: the first page is the latest messages, loadMore goes
  // back in time. Reverse for display (oldest at the top, the newest above the input).
  const { results, status, loadMore } = usePaginatedQuery(
    api.messages.list,
    { conversationId },
    { initialNumItems: PAGE_SIZE },
  );
  const complete = useMutation(api.conversations.complete);
  const messages = [...results].reverse();
  const repliesTo = new Set(messages.flatMap((m) => (m.role === "assistant" && m.replyTo ? [m.replyTo] : [])));

  if (conversation === undefined) return <p>Loading…</p>;
  const active = conversation.status === "active";

  return (
    <div className="conversation">
      {status === "CanLoadMore" && (
        <button type="button" onClick={() => loadMore(PAGE_SIZE)}>
          Load older messages
        </button>
      )}
      {status === "LoadingMore" && <p className="hint">Loading older messages…</p>}
      <ol className="messages">
        {messages.map((message) =>
          message.role === "assistant" ? (
            <AssistantMessage key={message._id} message={message} />
          ) : (
            <UserMessage key={message._id} message={message} answered={repliesTo.has(message._id)} canRetry={active} />
          ),
        )}
      </ol>
      {active ? (
        <>
          <Composer conversationId={conversationId} />
          <button type="button" onClick={() => void complete({ conversationId })}>
            Finish conversation
          </button>
        </>
      ) : (
        <p className="hint">This conversation is {conversation.status}.</p>
      )}
    </div>
  );
}

/**
 * The coach's reply. It re-renders whenever the message document changes (it comes from a
 * live paginated query), so a reply whose `content` grows while it is written shows as it
 * streams with no extra code: render `content` as it is now. `replyStatus` is "streaming"
 * until the reply is final (a failed attempt withdraws a streaming reply; a retry writes
 * its own from the start).
 */
function AssistantMessage({ message }: { message: MessageView }) {
  const streaming = message.replyStatus === "streaming";
  return (
    <li className="message assistant" aria-busy={streaming}>
      <p>{message.content}</p>
      {streaming && <p className="hint">TARS is writing…</p>}
    </li>
  );
}

/** The user's message with the pipeline's status: thinking, failed (retry), or done. */
function UserMessage({ message, answered, canRetry }: { message: MessageView; answered: boolean; canRetry: boolean }) {
  const retry = useMutation(api.messages.retry);
  const [error, setError] = useState<unknown>(null);
  const status = message.extraction?.status;
  const retryable = status === "failed" || status === "skipped";
  return (
    <li className="message user">
      <p>{message.content}</p>
      {status === "queued" && <p className="hint">Waiting for TARS to finish your earlier messages…</p>}
      {status === "pending" && !answered && <p className="hint">TARS is thinking…</p>}
      {retryable && (
        <p className="hint">
          {status === "skipped" ? "The coach is offline." : "The coach could not answer."}{" "}
          {canRetry && (
            <button type="button" onClick={() => retry({ messageId: message._id }).then(() => setError(null), setError)}>
              Retry
            </button>
          )}
        </p>
      )}
      {error !== null && <p className="error">{adviseOn(error).text}</p>}
    </li>
  );
}

function Composer({ conversationId }: { conversationId: Id<"conversations"> }) {
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<unknown>(null);
  // Optimistic: the message shows at once, at the top of the newest-first list (the bottom
  // of the chat). Convex drops the guess when the mutation's own write arrives, or rolls it
  // back if the mutation throws.
  const send = useMutation(api.messages.send).withOptimisticUpdate((localStore, { conversationId, content }) => {
    const now = Date.now();
    insertAtTop({
      paginatedQuery: api.messages.list,
      argsToMatch: { conversationId },
      localQueryStore: localStore,
      item: {
        _id: crypto.randomUUID() as Id<"messages">,
        conversationId,
        role: "user",
        content: content.trim(),
        createdAt: now,
        extraction: { status: "pending", attempts: 0, updatedAt: now },
      },
    });
  });

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const content = draft;
    if (content.trim() === "") return;
    setDraft("");
    setError(null);
    try {
      await send({ conversationId, content });
    } catch (e) {
      setDraft(content); // nothing was stored: give the text back
      setError(e);
    }
  };

  const advice = error === null ? null : adviseOn(error);
  return (
    <form className="composer" onSubmit={(event) => void onSubmit(event)}>
      <textarea value={draft} onChange={(event) => setDraft(event.target.value)} maxLength={8000} rows={3} />
      <button type="submit">Send</button>
      {advice !== null && <p className="error">{advice.text}</p>}
    </form>
  );
}
