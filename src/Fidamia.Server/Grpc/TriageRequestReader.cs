using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace Fidamia.Protos.V1
{
    public sealed partial class TriageRequest
    {
        /// <summary>The pooled array <see cref="Photo"/> wraps, when <see cref="Fidamia.Server.Grpc.TriageRequestReader"/> read it.</summary>
        private byte[]? _rentedPhoto;

        /// <summary>
        /// Hands the photo's pooled array back once nothing reads <see cref="Photo"/> any more (the call has ended);
        /// the request is left with no photo. Nothing happens for a request parsed the usual way.
        /// </summary>
        internal void ReturnPhoto()
        {
            if (_rentedPhoto is { } rented)
            {
                _rentedPhoto = null;
                Photo = ByteString.Empty;
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        internal void WrapRentedPhoto(byte[] rented, int length)
        {
            Photo = UnsafeByteOperations.UnsafeWrap(rented.AsMemory(0, length));
            _rentedPhoto = rented;
        }
    }
}

namespace Fidamia.Server.Grpc
{
    /// <summary>
    /// Reads a <see cref="Protos.V1.TriageRequest"/> with its photo in a pooled array. Protobuf copies a bytes field into
    /// an array of its own: for a phone photo, a new large object per request, resident until the collector gets to
    /// it, so under load the process holds many more photos than it is working on. Here the top-level fields are
    /// walked once: the photo's bytes are copied from the transport's buffers into a pooled array, and the other fields
    /// are parsed by protobuf as usual. What is accepted and refused is protobuf's: anything this walk does not expect
    /// (groups, a malformed tag or length) is parsed the usual way, so protobuf's own error reports it.
    /// <para>
    /// Unknown fields are dropped, not kept: the service has no use for them, and protobuf keeps each as an object, so a
    /// message of nothing but small unknown fields would cost many times its bytes beside the photo bytes budget, which
    /// counts bytes received.
    /// </para>
    /// </summary>
    internal static class TriageRequestReader
    {
        private static readonly MessageParser<Protos.V1.TriageRequest> Parser = Protos.V1.TriageRequest.Parser.WithDiscardUnknownFields(true);

        /// <summary>Below this a message's copy costs less than the pool's bookkeeping.</summary>
        internal const int PooledFrom = 64 * 1024;

        private const int LengthDelimited = 2;
        private const uint PhotoTag = (Protos.V1.TriageRequest.PhotoFieldNumber << 3) | LengthDelimited;

        // More photo fields than this (protobuf keeps the last) is no real client: parsed the usual way.
        private const int MaxPhotoFields = 4;

        /// <summary>The generated request marshaller with this reader as its deserializer.</summary>
        public static Marshaller<Protos.V1.TriageRequest> Marshaller(Marshaller<Protos.V1.TriageRequest> generated) =>
            Marshallers.Create(generated.ContextualSerializer, context => Read(context.PayloadAsReadOnlySequence()));

        public static Protos.V1.TriageRequest Read(ReadOnlySequence<byte> payload)
        {
            Span<PhotoField> photoFields = stackalloc PhotoField[MaxPhotoFields];
            if (payload.Length < PooledFrom || FindPhotoFields(payload, photoFields) is not (> 0 and var found))
            {
                return Parser.ParseFrom(payload);
            }

            // The message less its photo fields, parsed in one go: the bytes around them, chained.
            var rest = new SequenceChain();
            long at = 0;
            foreach (var field in photoFields[..found])
            {
                rest.Append(payload.Slice(at, field.Start - at));
                at = field.End;
            }

            rest.Append(payload.Slice(at));
            var request = Parser.ParseFrom(rest.Sequence);

            // The last photo field is the photo, as protobuf has it.
            var photo = photoFields[found - 1];
            var length = (int)(photo.End - photo.ValueStart);
            if (length > 0)
            {
                var rented = ArrayPool<byte>.Shared.Rent(length);
                payload.Slice(photo.ValueStart, length).CopyTo(rented);
                request.WrapRentedPhoto(rented, length);
            }

            return request;
        }

        /// <summary>
        /// Walks the message's top-level fields and lists where each photo field starts and ends; the number found, or
        /// -1 when the message is anything but plain fields that end within it (then protobuf parses it and says why).
        /// </summary>
        internal static int FindPhotoFields(ReadOnlySequence<byte> payload, Span<PhotoField> photoFields)
        {
            var reader = new SequenceReader<byte>(payload);
            var found = 0;
            while (!reader.End)
            {
                var start = reader.Consumed;
                if (!ReadVarint(ref reader, out var tag) || tag >> 3 is 0 or > int.MaxValue >> 2)
                {
                    return -1;
                }

                long valueStart = 0;
                var skipped = (tag & 7) switch
                {
                    0 => ReadVarint(ref reader, out _),
                    1 => Skip(ref reader, 8),
                    LengthDelimited => SkipLengthDelimited(ref reader, out valueStart),
                    5 => Skip(ref reader, 4),
                    _ => false, // groups (deprecated, never in this message) and invalid wire types
                };
                if (!skipped)
                {
                    return -1;
                }

                if (tag == PhotoTag)
                {
                    if (found == photoFields.Length)
                    {
                        return -1;
                    }

                    photoFields[found++] = new PhotoField(start, valueStart, reader.Consumed);
                }
            }

            return found;
        }

        /// <summary>A photo field: where its tag starts, where its bytes start, where it ends.</summary>
        internal readonly record struct PhotoField(long Start, long ValueStart, long End);

        /// <summary>Moves past a length and the bytes it counts; <paramref name="valueStart"/> is where those bytes begin.</summary>
        private static bool SkipLengthDelimited(ref SequenceReader<byte> reader, out long valueStart)
        {
            valueStart = 0;
            if (!ReadVarint(ref reader, out var length) || length > int.MaxValue)
            {
                return false;
            }

            valueStart = reader.Consumed;
            return Skip(ref reader, (long)length);
        }

        private static bool Skip(ref SequenceReader<byte> reader, long count)
        {
            if (reader.Remaining < count)
            {
                return false;
            }

            reader.Advance(count);
            return true;
        }

        private static bool ReadVarint(ref SequenceReader<byte> reader, out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (!reader.TryRead(out var b))
                {
                    return false;
                }

                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Memory chained into one <see cref="ReadOnlySequence{T}"/>, segment by segment, without copying it: the reader's
    /// message less its photo, and the segmented requests the tests and benchmarks hand it, as Kestrel's blocks would.
    /// </summary>
    internal sealed class SequenceChain
    {
        private Segment? _first;
        private Segment? _last;

        public ReadOnlySequence<byte> Sequence =>
            _first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_first, 0, _last!, _last!.Memory.Length);

        /// <summary><paramref name="bytes"/> in segments of <paramref name="segmentBytes"/>, each its own array, as pool blocks are.</summary>
        public static ReadOnlySequence<byte> Split(byte[] bytes, int segmentBytes)
        {
            var chain = new SequenceChain();
            for (var offset = 0; offset < bytes.Length; offset += segmentBytes)
            {
                chain.Append(bytes.AsSpan(offset, Math.Min(segmentBytes, bytes.Length - offset)).ToArray());
            }

            return chain.Sequence;
        }

        public void Append(ReadOnlySequence<byte> slice)
        {
            foreach (var memory in slice)
            {
                Append(memory);
            }
        }

        public void Append(ReadOnlyMemory<byte> memory)
        {
            if (memory.IsEmpty)
            {
                return;
            }

            var segment = new Segment(memory, _last is null ? 0 : _last.RunningIndex + _last.Memory.Length);
            _first ??= segment;
            _last?.Link(segment);
            _last = segment;
        }

        private sealed class Segment : ReadOnlySequenceSegment<byte>
        {
            public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
            {
                Memory = memory;
                RunningIndex = runningIndex;
            }

            public void Link(Segment next) => Next = next;
        }
    }

    /// <summary>
    /// Binds <see cref="TriageGrpcService"/> as the generated code does, but with <see cref="TriageRequestReader"/> for
    /// the Triage request (the generated marshaller is a private constant of the generated class). Routes, metadata,
    /// interceptors and reflection are those of the generated binding.
    /// </summary>
    public static class TriageServiceBinding
    {
        public static void BindService(ServiceBinderBase serviceBinder, Protos.V1.TriageService.TriageServiceBase serviceImpl) =>
            Protos.V1.TriageService.BindService(new PooledPhotoBinder(serviceBinder), serviceImpl);

        private sealed class PooledPhotoBinder(ServiceBinderBase inner) : ServiceBinderBase
        {
            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
            {
                if (method is Method<Protos.V1.TriageRequest, TResponse> triage)
                {
                    var pooled = new Method<Protos.V1.TriageRequest, TResponse>(
                        triage.Type, triage.ServiceName, triage.Name, TriageRequestReader.Marshaller(triage.RequestMarshaller), triage.ResponseMarshaller);
                    inner.AddMethod(pooled, (UnaryServerMethod<Protos.V1.TriageRequest, TResponse>?)(object?)handler);
                    return;
                }

                inner.AddMethod(method, handler);
            }

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
                inner.AddMethod(method, handler);

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
                inner.AddMethod(method, handler);

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
                inner.AddMethod(method, handler);
        }
    }
}
