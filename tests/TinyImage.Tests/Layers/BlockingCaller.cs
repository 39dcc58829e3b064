using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace TinyImage.Tests.Layers;

/// <summary>
/// Calls a library method the way a GUI event handler or a legacy ASP.NET request does: on a thread whose
/// <see cref="SynchronizationContext"/> runs posted work one item at a time on that same thread, blocking on the returned
/// task (<c>.GetAwaiter().GetResult()</c>). A continuation the library posts back to that context while the caller waits
/// can never run, since the only thread that would run it is the one waiting: the call deadlocks. <see cref="Run{T}"/>
/// fails the test as soon as such a post happens (the caller's thread then stays blocked for good), or when the call has
/// not returned after <see cref="Timeout"/>. A library avoids it with <c>ConfigureAwait(false)</c> on every await.
/// </summary>
internal static class BlockingCaller
{
    /// <summary>How long a call may take before it counts as deadlocked (a real call here takes well under a second).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="call"/> as a work item of a single-threaded context and blocks on its task there.</summary>
    /// <returns>The task's result; its exception is rethrown here.</returns>
    public static T Run<T>(Func<Task<T>> call)
    {
        var context = new QueueContext();
        var returned = new ManualResetEvent(false); // not disposed: a deadlocked caller may still hold it
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(context);
            context.Post(_ =>
            {
                context.Blocked = true;
                try { result = call().GetAwaiter().GetResult(); }
                catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
                finally
                {
                    context.Blocked = false;
                    context.Complete();
                    returned.Set();
                }
            }, null);
            context.Pump();
        })
        {
            IsBackground = true, // a deadlocked caller must not keep the test process alive
            Name = "single-threaded caller",
        };
        thread.Start();
        var first = WaitHandle.WaitAny([returned, context.PostedWhileBlocked], Timeout);
        if (first == 1 && !returned.WaitOne(0))
            Assert.Fail("deadlocked: a continuation was posted to the caller's SynchronizationContext while the caller was blocked " +
                        "waiting for the result, so it can never run");
        if (first == WaitHandle.WaitTimeout)
            Assert.Fail($"deadlocked: no result after {Timeout.TotalSeconds:0} s");
        thread.Join();
        error?.Throw();
        return result;
    }

    /// <summary>A single-threaded context: <see cref="Post"/> queues, <see cref="Pump"/> runs the queue on the calling thread.</summary>
    private sealed class QueueContext : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

        private volatile bool _blocked;

        /// <summary>Set while the caller's work item is blocked on the library's task.</summary>
        public bool Blocked { get => _blocked; set => _blocked = value; }

        /// <summary>Signalled when something is posted while <see cref="Blocked"/>.</summary>
        public ManualResetEvent PostedWhileBlocked { get; } = new(false);

        public override void Post(SendOrPostCallback d, object? state)
        {
            if (Blocked) PostedWhileBlocked.Set();
            try { _queue.Add((d, state)); }
            catch (InvalidOperationException) { } // posted after the call returned: nobody waits for it any more
        }

        public override void Send(SendOrPostCallback d, object? state) =>
            throw new NotSupportedException("a synchronous Send to the caller's context");

        public override SynchronizationContext CreateCopy() => this;

        public void Pump()
        {
            foreach (var (callback, state) in _queue.GetConsumingEnumerable()) callback(state);
        }

        public void Complete() => _queue.CompleteAdding();
    }
}
