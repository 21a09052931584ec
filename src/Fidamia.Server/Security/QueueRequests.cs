using Fidamia.Server.Security;

// The generated messages that name a queue, for RequiresQueue.
namespace Fidamia.Protos.V1;

public sealed partial class LeaseRequest : IQueueRequest
{
    string IQueueRequest.QueueId => Queue;
}

public sealed partial class RequeueRequest : IQueueRequest
{
    string IQueueRequest.QueueId => Queue;
}

public sealed partial class WatchRequest : IQueueRequest
{
    string IQueueRequest.QueueId => Queue;
}
