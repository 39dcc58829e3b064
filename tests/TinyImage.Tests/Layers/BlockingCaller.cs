using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace TinyImage.Tests.Layers;

/// <summary>
/// Calls a library method the way a GUI event handler or a legacy ASP.NET request does: on a thread whose
/// <see cref="SynchronizationContext"/> runs posted work one item at a time on that same thread, blocking on the returned
/// task (<c>.GetAwaiter().GetResult()</c>). A continuation the library posts back to that context can never run, since
/// the only thread that would run it is the one waiting, so such a call deadlocks; <see cref="Run{T}"/> reports that as a
/// test failure after <see cref="Timeout"/>. A library avoids it with <c>ConfigureAwait(false)</c> on every await.
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
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(context);
            context.Post(_ =>
            {
                try { result = call().GetAwaiter().GetResult(); }
                catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
                finally { context.Complete(); }
            }, null);
            context.Pump();
        })
        {
            IsBackground = true, // a deadlocked caller must not keep the test process alive
            Name = "single-threaded caller",
        };
        thread.Start();
        if (!thread.Join(Timeout))
            Assert.Fail($"deadlocked: {context.Posted - 1} continuation(s) were posted to the caller's SynchronizationContext while " +
                        $"the caller was blocked waiting for the result (no result after {Timeout.TotalSeconds:0} s)");
        error?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="call"/> as <see cref="Run{T}"/> does, for a method without a result.</summary>
    public static void Run(Func<Task> call) => Run(() => call().ContinueWith(t =>
    {
        t.GetAwaiter().GetResult();
        return true;
    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));

    /// <summary>A single-threaded context: <see cref="Post"/> queues, <see cref="Pump"/> runs the queue on the calling thread.</summary>
    private sealed class QueueContext : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
        private int _posted;

        /// <summary>How many work items were posted, the caller's own first one included.</summary>
        public int Posted => Volatile.Read(ref _posted);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posted);
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
