using Microsoft.Extensions.DependencyInjection;
using Fidamia.Server;

namespace Fidamia.UnitTests.Server;

public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Rent_GivesWholeBlocks_WhateverTheSizeAsked()
    {
        using var pool = new LargeBlockMemoryPool(blockSize: 1024, maxRetained: 4);
        using var small = pool.Rent(1);
        using var any = pool.Rent();
        Assert.Equal(1024, small.Memory.Length);
        Assert.Equal(1024, any.Memory.Length);
        Assert.Equal(1024, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(1025));
    }

    [Fact]
    public void ReturnedBlock_IsRentedAgain()
    {
        using var pool = new LargeBlockMemoryPool(blockSize: 256, maxRetained: 4);
        var first = pool.Rent();
        first.Memory.Span[0] = 42;
        var array = first.Memory;
        first.Dispose();
        using var second = pool.Rent();
        Assert.True(second.Memory.Span.Overlaps(array.Span));
    }

    [Fact]
    public void ReturnedBlocks_PastTheBound_AreNotKept()
    {
        using var pool = new LargeBlockMemoryPool(blockSize: 256, maxRetained: 2);
        var rented = Enumerable.Range(0, 5).Select(_ => pool.Rent()).ToList();
        var memories = rented.Select(r => r.Memory).ToList();
        rented.ForEach(r => r.Dispose());

        // Two kept (the first two returned), then fresh blocks.
        var again = Enumerable.Range(0, 5).Select(_ => pool.Rent()).ToList();
        var reused = again.Count(a => memories.Exists(m => a.Memory.Span.Overlaps(m.Span)));
        again.ForEach(a => a.Dispose());
        Assert.Equal(2, reused);
    }

    [Fact]
    public void Factory_IsWhatKestrelResolves()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.AddFidamiaServer();
        using var services = builder.Services.BuildServiceProvider();
        var factory = services.GetRequiredService<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>>();
        Assert.IsType<LargeBlockMemoryPoolFactory>(factory);
        using var pool = factory.Create();
        Assert.Equal(LargeBlockMemoryPoolFactory.BlockSize, pool.MaxBufferSize);
    }
}
