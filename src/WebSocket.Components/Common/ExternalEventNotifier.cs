using System;
using System.Threading;
using OneC.NativeApi.Components;

namespace WebSocketAddIn.Components.Common;

/// <summary>
/// Opt-in ExternalEvent notifications for client forms (ОбработкаВнешнегоСобытия): one event says
/// "messages are waiting, call Receive until it returns False". At most one event is outstanding
/// per object, so the platform's small event buffer is not flooded; if the buffer is full anyway,
/// nothing is lost: the messages stay queued, and the event is tried again after a second (and at
/// the next arrival), so a form is told even when the peer goes quiet.
/// </summary>
internal sealed class ExternalEventNotifier : IDisposable
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly AddInComponent _component;
    private readonly string _eventName;
    private readonly Timer _retry;

    public ExternalEventNotifier(AddInComponent component, string eventName)
    {
        _component = component;
        _eventName = eventName;
        _retry = new Timer(static state => ((ExternalEventNotifier)state!).OnQueued(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>The platform's event buffer starts at 1; ours needs one slot, other add-ins may want theirs.</summary>
    private const int MinimumEventBufferDepth = 16;

    private int _outstanding;

    // 1 while the retry timer is set. Receive runs once per message and must not touch the timer
    // then: changing a timer takes the process-wide timer queue's lock, which every connection's
    // keep-alive and Kestrel's heartbeat contend for (seen in perf at 64 × 4 × 32 B).
    private int _retryScheduled;

    public bool Enabled { get; private set; }

    /// <summary>What the event's Данные carries (e.g. the port), so several objects on one form can be told apart.</summary>
    public string Data { get; set; } = string.Empty;

    public void SetEnabled(bool enabled)
    {
        Enabled = enabled;
        if (enabled && _component.Platform is { } platform && platform.GetEventBufferDepth() < MinimumEventBufferDepth)
        {
            platform.SetEventBufferDepth(MinimumEventBufferDepth);
        }
    }

    /// <summary>Something was queued (background thread).</summary>
    public void OnQueued()
    {
        if (!Enabled || Interlocked.Exchange(ref _outstanding, 1) == 1)
        {
            return;
        }

        if (_component.Platform?.ExternalEvent(_component.ErrorSource, _eventName, Data) != true)
        {
            // Buffer full or platform gone: the messages wait in our queue; try again soon.
            Volatile.Write(ref _outstanding, 0);
            Volatile.Write(ref _retryScheduled, 1);
            Schedule(RetryAfter);
        }
    }

    /// <summary>1C code is taking messages: the next arrival deserves a new event.</summary>
    public void OnTaking()
    {
        Volatile.Write(ref _outstanding, 0);
        if (Volatile.Read(ref _retryScheduled) != 0 && Interlocked.Exchange(ref _retryScheduled, 0) != 0)
        {
            Schedule(Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        Enabled = false;
        _retry.Dispose();
    }

    private void Schedule(TimeSpan due)
    {
        try
        {
            _retry.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The object is being destroyed: no more events.
        }
    }
}
