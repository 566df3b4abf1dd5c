"""medcoder.models"""
